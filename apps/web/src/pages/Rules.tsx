export function RulesPage() {
  return <h1>Policy rules</h1>;
}
