/** Where simulated time starts, and how traces show an instant. */

/** Simulated time starts here (any fixed instant would do). */
export const SIMULATION_START = Date.parse('2026-06-01T00:00:00.000Z');

/** A simulated instant as time since the start: `+12.345s`. */
export const elapsed = (ms: number): string => `+${((ms - SIMULATION_START) / 1000).toFixed(3)}s`;
