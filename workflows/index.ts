export { inboxSweep } from './inbox-sweep.js';
export { doctor, inboxAgentOperator } from './operator.js';
