export { deployWorkItem } from './deploy-work-item.js';
