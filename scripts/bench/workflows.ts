/** Workflow bundle entry of the benchmark worker: the real deploy workflow plus the bare workflow. */
export { deployWorkItem } from '../../workflows/index.js';
export { bareWorkflow } from './bare-workflow.js';
