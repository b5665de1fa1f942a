// Svelte 5 components shared by the web apps. Import the tokens and base
// styles once per app: `import '@authkit/ui/styles.css'`.
export { default as Shell } from './Shell.svelte';
export type { NavLink, ShellUser } from './Shell.svelte';
export { default as Field } from './Field.svelte';
export { default as FormMessage } from './FormMessage.svelte';
export { default as PasswordField } from './PasswordField.svelte';
export type { StrengthAccount, StrengthCheck, StrengthOptions } from './PasswordField.svelte';
export { default as PasswordStrength, strengthLevel } from './PasswordStrength.svelte';
export type { StrengthLevel, StrengthResult } from './PasswordStrength.svelte';
export { default as Checkbox } from './Checkbox.svelte';
export { default as Button } from './Button.svelte';
export { default as Alert } from './Alert.svelte';
export type { AlertKind } from './Alert.svelte';
export { default as Card } from './Card.svelte';
export { default as Table } from './Table.svelte';
export { default as Tag } from './Tag.svelte';
