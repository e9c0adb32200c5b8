export function AuditLogPage() {
  return <h1>Audit log</h1>;
}
