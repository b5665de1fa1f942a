// Runs the e2e stack by hand (`node e2e/support/serve.ts`) to look at the built site;
// Ctrl-C stops everything.
import { startStack } from './stack.ts';

const stack = await startStack();
console.log(`web ${stack.webUrl}\napi ${stack.apiUrl}\ndb  ${stack.mongodbUrl}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stack.stop().then(() => process.exit(0));
  });
}
