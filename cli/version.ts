// tsbt's version, from package.json (esbuild inlines it into the bundle).
import pkg from '../package.json' with { type: 'json' };

export const TSBT_VERSION: string = pkg.version;
