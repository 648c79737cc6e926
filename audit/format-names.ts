/** The formats an audit report can be written in; the CLI offers them without loading their writers. */
export const AUDIT_FORMATS = ['table', 'json', 'csv', 'md', 'html', 'pdf'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];
