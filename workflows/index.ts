export { inboxSweep } from './inbox-sweep.js';
export { connections, provision, retryMessage } from './provision.js';
