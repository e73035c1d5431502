export { inboxSweep } from './inbox-sweep.js';
export { connections, provision } from './provision.js';
