export * from './entities.js';
export * from './events.js';
export * from './rest.js';
export * from './rest-admin.js';
export * from './pins.js';
