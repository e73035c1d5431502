export { inboxSweep } from './inbox-sweep.js';
export { doctor, inboxAgentOperator } from './operator.js';
export { consentReconciler } from './consent-reconciler.js';
