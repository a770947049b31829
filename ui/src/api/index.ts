export * from './client';
export * from './events';
export * from './errors';
export { hasTauri } from './runtime';
export type * from './types';
export { OUTCOMES, ACTION_STATUSES, RUN_COUNT_CAP } from './types';
export * from './decisions';
export * as governance from './governance';
export * from './traces';
