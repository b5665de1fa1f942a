import { databaseTestConfig } from '@authkit/db/testing-vitest-config';

export default databaseTestConfig();
