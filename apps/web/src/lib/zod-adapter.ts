// superforms' zod 4 adapters, imported from their own module. The package's
// `sveltekit-superforms/adapters` entry re-exports every adapter, so it
// imports every validation library (valibot, effect, typebox, ...), which are
// optional dependencies this workspace leaves out (pnpm-workspace.yaml
// `ignoredOptionalDependencies`): the build fails on them (superforms issue
// #671). Its `exports` map offers no path to one adapter, hence the file path.
export {
  zod as zod4,
  zodClient as zod4Client,
} from '../../node_modules/sveltekit-superforms/dist/adapters/zod4.js';
