// The layer rules (docs/architecture.md): imports point down, model → plan → components → stacks,
// and never in a circle. `npm run lint:deps` checks them; CI runs it with the tests.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "A cycle makes a layer depend on itself through a layer above it.",
      from: {},
      to: { circular: true },
    },
    {
      name: "model-is-the-bottom",
      severity: "error",
      comment: "The model (schemas and rules) knows no plan, component or lab kind: they hand it what it needs.",
      from: { path: "^model/" },
      to: { path: "^(plan|components|stacks)/" },
    },
    {
      name: "plan-is-pure",
      severity: "error",
      comment: "The plan is pure: no Pulumi, no component, no lab kind.",
      from: { path: "^plan/" },
      to: { path: "^(components|stacks)/|node_modules/@pulumi/" },
    },
    {
      name: "model-is-pure",
      severity: "error",
      comment: "The model is pure: no Pulumi.",
      from: { path: "^model/" },
      to: { path: "node_modules/@pulumi/" },
    },
    {
      name: "components-below-stacks",
      severity: "error",
      comment: "Components are what lab kinds are built from; they know no lab kind.",
      from: { path: "^components/" },
      to: { path: "^stacks/" },
    },
    {
      name: "a-kind-model-and-plan-are-pure",
      severity: "error",
      comment: "A lab kind's config and plan (stacks/<kind>/model.ts, plan.ts) are as pure as model/ and plan/.",
      from: { path: "^stacks/[^/]+/(model|plan)\\.ts$" },
      to: { path: "^components/|^stacks/[^/]+/[A-Z]|node_modules/@pulumi/" },
    },
    {
      name: "product-never-imports-tests",
      severity: "error",
      from: { pathNot: "^test/" },
      to: { path: "^test/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
