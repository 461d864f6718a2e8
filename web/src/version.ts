/** The release this web client was built from (package.json's version, set by the build). */
declare const __PARLEY_VERSION__: string;
export const CLIENT_VERSION: string = typeof __PARLEY_VERSION__ === 'string' ? __PARLEY_VERSION__ : 'dev';
