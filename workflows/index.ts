export { inboxSweep } from './inbox-sweep.js';
export { connections, doctor, provision, retryMessage, userSettings } from './operator.js';
