/**
 * The server's layers, checked by `npm run lint` (dependency-cruiser). From the bottom:
 *   protocol (the public contract's types and schemas) and core (config, logger, errors, ids)
 *   db (schema, repositories), events (the bus), storage (blobs)
 *   services (the domain: rules, transactions, publishing)
 *   api (HTTP routes) and realtime (the WebSocket gateway)
 *   app.ts, main.ts, cluster.ts, the CLIs (wiring everything together)
 * A module imports only from its own layer or those below it, and nothing imports in a cycle.
 * src/client (the typed client the web client uses) sees only the protocol, and the web client
 * (web/) only src/client and src/protocol; src/web (serving the built client) only core. Move code to the layer it belongs to; never relax a rule here to
 * let an import through.
 */
const layer = (name, allowed) => ({
  name: `layer-${name}`,
  comment: `src/${name} may import only ${allowed.length ? allowed.join(', ') : 'nothing else in src'} (and itself)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: {
    path: '^src/',
    pathNot: [`^src/${name}/`, ...allowed.map((a) => (a.endsWith('.ts') ? `^src/${a.replace('.', '\\.')}$` : `^src/${a}/`)), '^src/types/'],
  },
});

module.exports = {
  forbidden: [
    layer('protocol', []),
    layer('core', ['protocol']),
    layer('db', ['core', 'protocol']),
    layer('events', ['core', 'protocol']),
    layer('storage', ['core', 'protocol']),
    layer('services', ['db', 'events', 'storage', 'core', 'protocol']),
    layer('api', ['services', 'core', 'protocol']),
    layer('realtime', ['services', 'events', 'core', 'protocol']),
    layer('client', ['protocol']),
    layer('web', ['core']),
    layer('cli', ['services', 'db', 'storage', 'events', 'core', 'protocol']),
    {
      name: 'web-client',
      comment: 'the web client (web/) runs in the browser: it may import only src/client and src/protocol',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/', pathNot: ['^src/client/', '^src/protocol/'] },
    },
    {
      name: 'no-cycles',
      comment: 'modules import each other in a cycle (types included): move what both need below them',
      severity: 'error',
      from: { path: '^(src|web)/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
