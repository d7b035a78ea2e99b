/** One jest run over every package; tests import packages by name and run against their sources. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/packages", "<rootDir>/proto", "<rootDir>/test"],
  testMatch: ["**/test/**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.test.json" }] },
  moduleNameMapper: {
    "^@rktlet/cri-api$": "<rootDir>/proto/src",
    "^@rktlet/(core|testkit|cri-server|adapters-rkt|adapters-systemd|streaming)$": "<rootDir>/packages/$1/src",
  },
  testTimeout: 20000,
};
