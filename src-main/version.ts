/** The package version, read from package.json (inlined by the bundler at build time). */
import pkg from '../package.json' with { type: 'json' };

export const version: string = pkg.version;
