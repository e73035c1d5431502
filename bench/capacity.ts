import { round } from './common.js';

/**
 * Users one worker process and one namespace carry with one scheduled tick per user every 15
 * minutes, from the measured figures. Production sweeps are scheduled, so a tick is what is counted:
 * an idle tick (the ticket's look, measured by the bench's idle ticks) and, one tick in ten, a tick
 * with new mail (the ticket, its look and the sweep; its CPU taken as the fleet's sweep plus one look,
 * its actions as measured for the whole tick, schedule included).
 */
export function capacityModel(
  fleet: { workerCpuSecondsPerSweep: number },
  idleTicks: { workerCpuSecondsPerTick: number },
  costs: Record<string, unknown>,
) {
  const intervalS = 15 * 60;
  const busyShare = 0.1;
  const look = idleTicks.workerCpuSecondsPerTick;
  const cpuPerTick = busyShare * (fleet.workerCpuSecondsPerSweep + look) + (1 - busyShare) * look;
  const actionsOf = (k: string) => (costs[k] as { actions: number }).actions;
  const actionsPerTick = busyShare * actionsOf('oneNewEmailTick') + (1 - busyShare) * actionsOf('idleTick');
  // One core per worker process at 70% utilisation: the Node event loop is single-threaded.
  const usersPerWorker = Math.floor((0.7 * intervalS) / cpuPerTick);
  // Temporal Cloud's default namespace limit is in the hundreds of actions per second; 400 here.
  const namespaceActionsPerSecond = 400;
  const usersPerNamespace = Math.floor((namespaceActionsPerSecond * intervalS) / actionsPerTick);
  return {
    assumptions:
      `scheduled ticks every 15 minutes, ${busyShare * 100}% of them with new mail, ` +
      `one core per worker at 70%, namespace limit ${namespaceActionsPerSecond} actions/s`,
    cpuSecondsPerSweep: round(cpuPerTick, 4),
    actionsPerSweep: round(actionsPerTick, 1),
    usersPerWorkerProcess: usersPerWorker,
    usersPerNamespace,
    limitsFirst: usersPerWorker < usersPerNamespace ? 'worker CPU (add workers)' : 'namespace actions per second',
  };
}
