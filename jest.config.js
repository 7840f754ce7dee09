/**
 * Jest runs the TypeScript sources as native ES modules (node --experimental-vm-modules),
 * transpiled by SWC. Type checking is `tsc --noEmit`, a separate step of `npm test`.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  globalSetup: '<rootDir>/test/global-setup.js',
  // Real headroom for a busy 2-core machine: tests wait on conditions, so a slow machine only makes them slower.
  testTimeout: 300_000,
  reporters: ['default', ['<rootDir>/test/summary-reporter.js', {}]],
};
