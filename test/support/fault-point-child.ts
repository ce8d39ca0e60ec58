/** Child process for the fault injection test: passes a point, then prints `survived`. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { faultPoint } from '../../activities/faults.js';

const point = process.argv[2] ?? '';
await new MockActivityEnvironment().run(faultPoint, point);
console.log('survived');
