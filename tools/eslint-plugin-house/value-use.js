// Whether an imported binding is needed at run time. typescript-eslint's scope analysis tells value references from
// type references, but no longer models decorator metadata (it stopped in v8): with emitDecoratorMetadata, the type
// of a decorated class's constructor parameter (Nest's injection), of a decorated property or of a decorated
// method's parameters and return is written into the compiled file as a value. Those uses count as values here.

/** Where a type reference is serialised as design metadata, the node that makes it so; otherwise null. */
export function metadataUse(identifier) {
  let node = identifier;
  // `pg.Pool` is serialised as the value `pg.Pool`.
  while (node.parent?.type === 'TSQualifiedName' && node.parent.left === node) node = node.parent;
  if (node.parent?.type !== 'TSTypeReference' || node.parent.typeName !== node) return null;
  node = node.parent;
  // `Foo | null` is serialised as Foo; type arguments (Promise<Foo>, Foo[]) never are.
  while (node.parent?.type === 'TSUnionType') node = node.parent;
  if (node.parent?.type !== 'TSTypeAnnotation') return null;
  const holder = node.parent.parent;
  if (!holder) return null;
  if (holder.type === 'PropertyDefinition') return holder.decorators?.length ? holder : null;
  if (holder.type === 'FunctionExpression' && holder.returnType === node.parent) {
    const method = holder.parent;
    return method?.type === 'MethodDefinition' && method.decorators?.length ? method : null;
  }
  // A parameter: `x: T`, `x: T = d`, `private readonly x: T`, `...xs: T`.
  let param = holder;
  if (param.parent?.type === 'AssignmentPattern' && param.parent.left === param) param = param.parent;
  if (param.parent?.type === 'TSParameterProperty') param = param.parent;
  const fn = param.parent;
  if (fn?.type !== 'FunctionExpression' || !fn.params.includes(param)) return null;
  const method = fn.parent;
  if (method?.type !== 'MethodDefinition') return null;
  const paramDecorated = fn.params.some((p) => p.decorators?.length);
  if (method.kind === 'constructor') {
    const cls = method.parent?.parent;
    return cls?.decorators?.length || paramDecorated ? cls : null;
  }
  return method.decorators?.length || paramDecorated ? method : null;
}

/** Is this identifier the decorator itself: `@Column` or `@Column(...)`? */
export function isDecoratorUse(identifier) {
  const parent = identifier.parent;
  if (parent?.type === 'Decorator') return true;
  return parent?.type === 'CallExpression' && parent.callee === identifier && parent.parent?.type === 'Decorator';
}

/**
 * The first run-time use of the binding an import specifier declares, or null when every use is a type (or there is
 * none: TypeScript drops such an import). `allow(identifier)` may excuse some value uses.
 */
export function firstValueUse(sourceCode, specifier, allow = () => false) {
  if (specifier.importKind === 'type') return null;
  for (const variable of sourceCode.getDeclaredVariables(specifier)) {
    for (const ref of variable.references) {
      const id = ref.identifier;
      const isValue = ref.isValueReference || (ref.isTypeReference && metadataUse(id) !== null);
      if (isValue && !allow(id)) return id;
    }
  }
  return null;
}
