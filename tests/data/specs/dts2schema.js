// Turn stripe-node's generated .d.ts response types into a compact JSON schema for compare.py.
// stripe-node generates these from Stripe's OpenAPI spec: `?` = not in the spec's `required` list,
// `| null` = nullable, string-literal unions = enums (`| OtherString` marks them open in the SDK).
// Usage: node dts2schema.js <stripe package dir> <out.json> [Root ...]
// Needs the `typescript` npm package on NODE_PATH.
const ts = require('typescript');
const fs = require('fs');
const path = require('path');
const [pkg, out, ...rootsArg] = process.argv.slice(2);
const ROOTS = rootsArg.length ? rootsArg : ['PaymentIntent', 'Charge', 'Refund', 'Customer', 'DeletedCustomer',
  'PaymentMethod', 'SetupIntent', 'Event', 'Card', 'DeletedCard', 'Token', 'WebhookEndpoint',
  'DeletedWebhookEndpoint', 'Balance', 'BalanceTransaction', 'EventBase', 'Event.Type'];
const dir = path.join(pkg, 'cjs');
const files = fs.readdirSync(path.join(dir, 'resources')).filter(f => f.endsWith('.d.ts'))
  .map(f => path.join(dir, 'resources', f))
  // resources in sub-namespaces (Checkout.Session, TestHelpers.TestClock): EXTRA_DIRS=Checkout,TestHelpers
  .concat((process.env.EXTRA_DIRS || '').split(',').filter(Boolean).flatMap(d =>
    fs.readdirSync(path.join(dir, 'resources', d)).filter(f => f.endsWith('.d.ts') && f !== 'index.d.ts')
      .map(f => path.join(dir, 'resources', d, f))))
  .concat([path.join(dir, 'shared.d.ts'), path.join(dir, 'lib.d.ts'), path.join(dir, 'Types.d.ts')]);
const program = ts.createProgram(files, { noResolve: false, skipLibCheck: true });
const checker = program.getTypeChecker();

function qname(sym) {
  if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  return checker.getFullyQualifiedName(sym).replace(/^"[^"]*"\./, '');
}
// index every interface / type alias declared in the response files by qualified name
const decls = {};
for (const sf of program.getSourceFiles()) {
  if (!files.includes(path.resolve(sf.fileName)) && !files.includes(sf.fileName)) continue;
  (function visit(node) {
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) {
      const sym = checker.getSymbolAtLocation(node.name);
      if (sym) { const q = qname(sym); if (!decls[q]) decls[q] = node; }
    }
    ts.forEachChild(node, visit);
  })(sf);
}
function resourceObject(d) { // a top-level interface with a literal `object` is a resource of its own
  if (!ts.isInterfaceDeclaration(d)) return undefined;
  const o = d.members.find(m => m.name && m.name.getText() === 'object');
  return o && o.type && ts.isLiteralTypeNode(o.type) && ts.isStringLiteral(o.type.literal) ? o.type.literal.text : undefined;
}
const types = {}; const queue = [...ROOTS];
function conv(t) {
  switch (t.kind) {
    case ts.SyntaxKind.StringKeyword: return { k: 'str' };
    case ts.SyntaxKind.NumberKeyword: return { k: 'num' };
    case ts.SyntaxKind.BooleanKeyword: return { k: 'bool' };
    case ts.SyntaxKind.NullKeyword: return { k: 'null' };
    case ts.SyntaxKind.AnyKeyword: case ts.SyntaxKind.UnknownKeyword: return { k: 'any' };
    case ts.SyntaxKind.LiteralType:
      if (t.literal.kind === ts.SyntaxKind.NullKeyword) return { k: 'null' };
      if (t.literal.kind === ts.SyntaxKind.TrueKeyword) return { k: 'lit', v: true };
      if (t.literal.kind === ts.SyntaxKind.FalseKeyword) return { k: 'lit', v: false };
      if (ts.isStringLiteral(t.literal)) return { k: 'lit', v: t.literal.text };
      return { k: 'lit', v: Number(t.literal.text) };
    case ts.SyntaxKind.UnionType: return { k: 'union', of: t.types.map(conv) };
    case ts.SyntaxKind.ArrayType: return { k: 'arr', of: conv(t.elementType) };
    case ts.SyntaxKind.ParenthesizedType: return conv(t.type);
    case ts.SyntaxKind.TypeLiteral: return { k: 'obj', props: props(t.members) };
    case ts.SyntaxKind.TypeReference: {
      const name = t.typeName.getText();
      const args = t.typeArguments || [];
      if (name === 'Array') return { k: 'arr', of: conv(args[0]) };
      if (name === 'ApiList') return { k: 'list', of: conv(args[0]) };
      if (name === 'OtherString') return { k: 'open' };
      if (name === 'Decimal') return { k: 'str', fmt: 'decimal' };
      if (name === 'Record' || name === 'Metadata' || name === 'Partial') return { k: 'map' };
      const sym = checker.getSymbolAtLocation(t.typeName);
      if (!sym) return { k: 'any', note: name };
      const q = qname(sym);
      if (!types[q] && !queue.includes(q)) queue.push(q);
      return { k: 'ref', n: q };
    }
    default: return { k: 'any', note: ts.SyntaxKind[t.kind] };
  }
}
function props(members) {
  const p = {};
  for (const m of members) {
    if (ts.isPropertySignature(m) && m.type) p[m.name.getText()] = { req: !m.questionToken, t: conv(m.type) };
    else if (ts.isIndexSignatureDeclaration(m)) p['*'] = { req: false, t: conv(m.type) };
  }
  return p;
}
while (queue.length) {
  const q = queue.shift();
  if (types[q]) continue;
  const d = decls[q];
  if (!d) { types[q] = { missing: true }; continue; }
  if (!q.includes('.') && !ROOTS.includes(q) && resourceObject(d) !== undefined) {
    types[q] = { stub: true, object: resourceObject(d) }; // another resource: only its `object` name
    continue;
  }
  types[q] = ts.isInterfaceDeclaration(d) ? { props: props(d.members) } : { alias: conv(d.type) };
}
// typed events: event type -> the resource its data.object holds
const eventTypes = {};
for (const [q, d] of Object.entries(decls)) {
  if (!ts.isInterfaceDeclaration(d) || !d.heritageClauses || !/extends EventBase/.test(d.heritageClauses[0].getText())) continue;
  const tm = d.members.find(m => m.name && m.name.getText() === 'type');
  const dataNs = decls[q + '.Data'];
  const om = dataNs && dataNs.members.find(m => m.name && m.name.getText() === 'object');
  if (tm && om) {
    const sym = checker.getSymbolAtLocation(om.type.typeName || om.type);
    const od = sym && decls[qname(sym)];
    eventTypes[tm.type.literal.text] = od ? (resourceObject(od) || qname(sym)) : om.type.getText();
  }
}
const apiVersion = fs.readFileSync(path.join(dir, 'apiVersion.js'), 'utf8').match(/ApiVersion = '([^']+)'/)[1];
const pj = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'));
fs.writeFileSync(out, JSON.stringify({
  source: `npm stripe@${pj.version} (stripe-node), cjs/resources/*.d.ts, generated from Stripe OpenAPI ${fs.readFileSync(path.join(pkg, 'OPENAPI_VERSION'), 'utf8').trim()}`,
  api_version: apiVersion, roots: ROOTS, event_types: eventTypes, types }, null, 0));
console.log(`${Object.keys(types).length} types, api ${apiVersion}`);
