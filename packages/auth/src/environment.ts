import type { z } from 'zod';

/**
 * Parses the variables a schema names from an environment; unset and empty
 * ones are left out, so the schema's optional fields keep their defaults.
 * Throws an Error naming the first bad variable, with its value unless the
 * name says it may hold a secret (a database or SMTP URL can carry a password).
 */
export function parseEnvironment<Schema extends z.ZodObject>(
  schema: Schema,
  env: Record<string, string | undefined>,
): z.infer<Schema> {
  const present = Object.fromEntries(
    Object.keys(schema.shape)
      .map((name) => [name, env[name]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? 'environment');
  const shown =
    /URL|SECRET|KEY|PASSWORD/.test(name) || !(name in present)
      ? ''
      : `=${JSON.stringify(present[name])}`;
  throw new Error(
    `Invalid environment variable ${name}${shown}: ${issue?.message ?? 'invalid value'}`,
  );
}
