// The same scenarios under jest (ESM): `npm install --no-save jest@29 && npm run test:jest`.
// jest runs native ES modules only with --experimental-vm-modules (the test:jest script passes it).
export default {
  testEnvironment: "node",
  transform: {},
  testMatch: ["<rootDir>/jest/**/*.test.js"],
  testTimeout: 30000,
};
