// Brings @authkit/db's vitest ProvidedContext declaration (`mongodbUrl`, used by
// useTestDatabase) into this package's typecheck.
import type {} from '@authkit/db/testing-global-setup';
