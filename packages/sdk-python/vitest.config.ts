import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'sdk-python',
    include: ['test/**/*.test.ts'],
    // The Python suite starts a real Reins server and runs the golden vectors through it.
    testTimeout: 900_000,
  },
});
