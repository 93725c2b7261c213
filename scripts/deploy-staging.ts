/**
 * `make deploy-staging`: synthesise, validate, `kubectl diff`, `kubectl apply --server-side` to
 * the staging context only (see k8s/deploy.ts).
 *
 *   make deploy-staging                       FEATURE_CACHE=false (the default)
 *   make deploy-staging FEATURE_CACHE=true    turn the cache metrics on in staging
 *   DRY_RUN=1 make deploy-staging             write the YAML to a file it names, print the plan last; no cluster needed
 *   KUBE_CONTEXT=name / --context=name        the context to use; anything but staging is refused
 */
import { deployStaging } from '../k8s/deploy.ts';

process.exitCode = deployStaging({
  env: process.env,
  argv: process.argv.slice(2),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
