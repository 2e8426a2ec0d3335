import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap, type IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service, type IService } from "kubernetes-models/v1/Service";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { bakeryManifest } from "../../examples/bakery/manifest.js";
import { baseManifest, extendManifest, loadConfig, parseDuration } from "../../src/config/index.js";
import { k8sObjects, root } from "./recipes.js";

// The Kubernetes OpenAPI schemas, as kubernetes-models ships them: its validate() checks
// types, required fields and formats; a TypeScript excess-property check against its
// interfaces catches the unknown (misspelt) fields that validate() lets through.
const MODELS = {
  "v1/ConfigMap": { model: ConfigMap, type: "IConfigMap", from: "kubernetes-models/v1/ConfigMap" },
  "v1/Service": { model: Service, type: "IService", from: "kubernetes-models/v1/Service" },
  "apps/v1/Deployment": {
    model: Deployment,
    type: "IDeployment",
    from: "kubernetes-models/apps/v1/Deployment",
  },
  "batch/v1/Job": { model: Job, type: "IJob", from: "kubernetes-models/batch/v1/Job" },
  "policy/v1/PodDisruptionBudget": {
    model: PodDisruptionBudget,
    type: "IPodDisruptionBudget",
    from: "kubernetes-models/policy/v1/PodDisruptionBudget",
  },
} as const;

const objects = k8sObjects();
const key = (o: Record<string, unknown>) => `${String(o.apiVersion)}/${String(o.kind)}`;
const of = <T>(kind: string) =>
  objects.filter((o) => key(o.object) === kind).map((o) => o.object as unknown as T);

/** TypeScript diagnostics of `const x: IType = <object>` for each object (excess properties). */
function typeErrors(list: { file: string; object: Record<string, unknown> }[]): string[] {
  const virtual = path.join(root, "test/deploy/k8s-objects.generated.ts");
  const used = [...new Set(list.map((o) => MODELS[key(o.object) as keyof typeof MODELS]))];
  const source = [
    ...used.map((m) => `import type { ${m.type} } from "${m.from}";`),
    ...list.map(
      (o, i) =>
        `// ${o.file}\nexport const o${i}: ${MODELS[key(o.object) as keyof typeof MODELS].type} = ${JSON.stringify(o.object, null, 1)};`,
    ),
  ].join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === virtual
      ? ts.createSourceFile(name, source, version)
      : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === virtual || fileExists(name);
  const program = ts.createProgram([virtual], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === virtual)
    .map((d) => {
      const line = d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line;
      const file = source
        .split("\n")
        .slice(0, line)
        .reverse()
        .find((l) => l.startsWith("// "));
      return `${file}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
}

test("every object is a known kind that the Kubernetes schemas validate, without unknown fields", () => {
  assert.ok(objects.length >= 7);
  for (const { file, object } of objects) {
    const model = MODELS[key(object) as keyof typeof MODELS];
    assert.ok(model, `${file}: ${key(object)} has a model`);
    assert.doesNotThrow(() => new model.model(object).validate(), `${file} validates`);
  }
  assert.deepEqual(typeErrors(objects), []);
  // Both checks are live: a wrong type and a misspelt field are caught.
  const deployment = structuredClone(of<IDeployment>("apps/v1/Deployment")[0]!);
  assert.throws(() =>
    new Deployment({
      ...deployment,
      spec: { ...deployment.spec!, replicas: "two" },
    } as never).validate(),
  );
  const misspelt = structuredClone(deployment) as unknown as {
    spec: { template: { spec: { containers: Record<string, unknown>[] } } };
  };
  misspelt.spec.template.spec.containers[0]!.livenesProbe = {};
  assert.match(typeErrors([{ file: "misspelt", object: misspelt }]).join(), /livenesProbe/);
});

const config = of<IConfigMap>("v1/ConfigMap")[0]!.data!;
const deployments = of<IDeployment>("apps/v1/Deployment");
const podSpec = (d: IDeployment | IJob) => d.spec!.template.spec!;
const container = (d: IDeployment | IJob) => podSpec(d).containers[0]!;
const env = (d: IDeployment) =>
  Object.fromEntries((container(d).env ?? []).map((e) => [e.name, e.value ?? ""]));

test("a Deployment per role, each a config the demo boots with", () => {
  assert.deepEqual(deployments.map((d) => env(d).OPSKIT_ROLE).sort(), ["api", "worker"]);
  for (const d of deployments) {
    assert.deepEqual(container(d).args, ["node", "dist/examples/bakery/main.js"]);
    const names = (container(d).envFrom ?? []).map(
      (e) => e.configMapRef?.name ?? e.secretRef?.name,
    );
    assert.deepEqual(names, ["bakery-config", "bakery-secrets"]);
    const result = loadConfig(extendManifest(baseManifest, bakeryManifest), {
      ...config,
      ...env(d),
      DATABASE_URL: "postgres://u:p@postgres.db.svc/bakery",
    });
    assert.ok(result.ok, JSON.stringify(result.ok ? null : result.report));
  }
});

test("probes: liveness /livez, readiness and startup /readyz; shutdown timings fit together", () => {
  const budget = parseDuration(config.OPSKIT_SHUTDOWN_TIMEOUT!);
  const drain = parseDuration(config.OPSKIT_SHUTDOWN_DRAIN_DELAY!);
  for (const d of deployments) {
    const c = container(d);
    assert.equal(c.livenessProbe?.httpGet?.path, "/livez");
    assert.equal(c.readinessProbe?.httpGet?.path, "/readyz");
    assert.equal(c.startupProbe?.httpGet?.path, "/readyz");
    assert.equal(c.ports?.[0]?.containerPort, Number(config.PORT));
    const readiness = c.readinessProbe;
    // docs/health.md: the drain delay covers readiness noticing, plus the proxies' own lag.
    assert.ok(drain >= readiness.periodSeconds! * readiness.failureThreshold! * 1000);
    assert.ok(c.livenessProbe.failureThreshold! > readiness.failureThreshold!);
    assert.ok(budget > drain);
    assert.ok(podSpec(d).terminationGracePeriodSeconds! * 1000 > budget);
  }
});

test("non-root, read-only root filesystem with a /tmp volume, resources with a memory limit", () => {
  for (const workload of [...deployments, ...of<IJob>("batch/v1/Job")]) {
    const pod = podSpec(workload);
    const c = container(workload);
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.runAsUser, 10001, "the Dockerfile's USER");
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities?.drop, ["ALL"]);
    assert.deepEqual(
      c.volumeMounts?.map((m) => m.mountPath),
      ["/tmp"],
    );
    assert.ok(pod.volumes?.some((v) => v.name === c.volumeMounts![0]!.name && v.emptyDir));
    assert.ok(c.resources?.requests?.memory && c.resources.requests.cpu);
    assert.equal(c.resources?.limits?.memory, "256Mi");
  }
});

test("the migrate Job runs opskit migrate up once, before the rollout (Helm hook), never retried", () => {
  const [job] = of<IJob>("batch/v1/Job");
  assert.ok(job);
  assert.deepEqual(container(job).args?.slice(0, 3), ["opskit", "migrate", "up"]);
  assert.equal(job.spec?.backoffLimit, 0);
  assert.equal(podSpec(job).restartPolicy, "Never");
  assert.equal(job.metadata?.annotations?.["helm.sh/hook"], "pre-install,pre-upgrade");
  // Applied before the Deployments by file order (kubectl apply -f deploy/k8s sorts names).
  const files = objects.map((o) => `${o.file}:${String(o.object.kind)}`);
  assert.ok(
    files.indexOf("10-migrate-job.yaml:Job") < files.indexOf("20-deployment-api.yaml:Deployment"),
  );
});

test("the Service and the disruption budgets select the pods they mean", () => {
  const labels = (d: IDeployment) => d.spec!.template.metadata!.labels!;
  const matches = (selector: Record<string, string>, d: IDeployment) =>
    Object.entries(selector).every(([k, v]) => labels(d)[k] === v);
  const [service] = of<IService>("v1/Service");
  const selected = deployments.filter((d) => matches(service!.spec!.selector!, d));
  assert.deepEqual(
    selected.map((d) => env(d).OPSKIT_ROLE),
    ["api"],
  );
  assert.equal(service!.spec!.ports![0]!.targetPort, container(selected[0]!).ports![0]!.name);
  const budgets = of<IPodDisruptionBudget>("policy/v1/PodDisruptionBudget");
  assert.deepEqual(
    budgets.map((b) =>
      deployments
        .filter((d) => matches(b.spec!.selector!.matchLabels!, d))
        .map((d) => env(d).OPSKIT_ROLE),
    ),
    [["api"], ["worker"]],
  );
  const api = deployments.find((d) => env(d).OPSKIT_ROLE === "api")!;
  assert.ok(api.spec!.replicas! > Number(budgets[0]!.spec!.minAvailable), "a drain can evict one");
});
