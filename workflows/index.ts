export { inboxSweep } from './inbox-sweep.js';
export { connections, provision, retryMessage, userSettings } from './operator.js';
