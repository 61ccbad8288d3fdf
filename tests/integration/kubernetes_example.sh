#!/usr/bin/env bash
# configs/kubernetes/ is a working example: every file parses (PyYAML) with the right kind and
# apiVersion; the Job and the CronJob's jobTemplate are Indexed with completions == parallelism
# == the N of the command's `--shard auto/N`, and run the same pod; the command runs
# `cachewarm run` on the manifest the ConfigMap mounts (read-only) with its lock on an emptyDir;
# the Secret is referenced by its name and holds every variable the manifest needs; the
# ConfigMap's manifest passes `cachewarm validate`; and the container's command, run as each of
# the N indexes (JOB_COMPLETION_INDEX, as a dry run), warms shards whose reports add up to the
# unsharded dry run, while index N exits 2.
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed (scripts/deps.sh)"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed (scripts/deps.sh)"

dir=$CACHEWARM_SOURCE_DIR/configs/kubernetes
job_file=cachewarm-indexed-job.yaml
cron_file=cachewarm-cronjob.yaml
secret_file=cachewarm-secret.example.yaml
cm_file=cachewarm-configmap.yaml
for f in "$job_file" "$cron_file" "$secret_file" "$cm_file" README.md; do
  [[ -f "$dir/$f" ]] || fail "configs/kubernetes/$f is missing"
done

# Facts about the example as JSON ($T/facts.json; the assertions below are on its values), and
# the ConfigMap's files extracted into $T/cm/ (as the pod sees them in its mount).
mkdir "$T/cm"
python3 - "$dir" "$T/cm" >"$T/facts.json" 2>"$T/py.err" <<'PY' || fail "reading the YAML failed: $(cat "$T/py.err")"
import json, os, posixpath, re, sys
import yaml

src, cm_out = sys.argv[1], sys.argv[2]
files = ["cachewarm-indexed-job.yaml", "cachewarm-cronjob.yaml",
         "cachewarm-secret.example.yaml", "cachewarm-configmap.yaml"]
docs = {}
facts = {"files": {}}
for f in files:
    with open(os.path.join(src, f)) as fh:
        loaded = [d for d in yaml.safe_load_all(fh) if d is not None]
    docs[f] = loaded[0] if loaded else {}
    facts["files"][f] = {"docs": len(loaded), "kind": docs[f].get("kind"),
                         "apiVersion": docs[f].get("apiVersion")}

secret = docs["cachewarm-secret.example.yaml"]
facts["secret"] = {"name": secret["metadata"]["name"],
                   "namespace": secret["metadata"].get("namespace"),
                   "type": secret.get("type"),
                   "keys": sorted((secret.get("stringData") or {}).keys()),
                   "data_keys": sorted((secret.get("data") or {}).keys())}

cm = docs["cachewarm-configmap.yaml"]
data = cm.get("data") or {}
facts["configmap"] = {"name": cm["metadata"]["name"], "namespace": cm["metadata"].get("namespace"),
                      "keys": sorted(data.keys())}
for name, text in data.items():
    if "/" in name or name.startswith("."):
        raise SystemExit(f"ConfigMap key {name!r} is not a plain file name")
    with open(os.path.join(cm_out, name), "w") as fh:
        fh.write(text)
manifest_text = data.get("manifest.yaml", "")
# ${VAR} without a default, outside YAML comments: the pod's environment must provide them.
uncommented = "\n".join(line.split(" #")[0] for line in manifest_text.splitlines()
                        if not line.lstrip().startswith("#"))
facts["manifest_env"] = sorted(set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", uncommented)))

# Options of `cachewarm run` that take a value (the rest are flags or the manifest).
valued = {"-g", "--group", "--rate", "--concurrency", "--batch", "--report", "--progress",
          "--fail-under", "--log-format", "--at", "--window", "--lock", "--resume",
          "--max-value-size", "--max-memory-use", "--shard"}

def job_facts(meta, spec):
    pod = spec["template"]["spec"]
    containers = pod["containers"]
    c = containers[0]
    argv = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
    opts, positional, i = {}, [], 2
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") and "=" in a:
            k, v = a.split("=", 1)
            opts[k] = v
        elif a in valued:
            opts[a] = argv[i + 1] if i + 1 < len(argv) else None
            i += 1
        elif a.startswith("-"):
            opts[a] = True
        else:
            positional.append(a)
        i += 1
    shard = opts.get("--shard")
    m = re.fullmatch(r"auto/([0-9]+)", shard or "")
    volumes = {v["name"]: v for v in pod.get("volumes") or []}

    def locate(path):
        """The volume (and the path inside it) that holds PATH in the container."""
        best = None
        for mnt in c.get("volumeMounts") or []:
            mp = mnt["mountPath"].rstrip("/")
            if path.startswith(mp + "/") and (best is None or len(mp) > len(best[0]["mountPath"].rstrip("/"))):
                best = (mnt, path[len(mp) + 1:])
        if best is None:
            return None
        mnt, rest = best
        vol = volumes.get(mnt["name"], {})
        out = {"mount": mnt["name"], "readOnly": bool(mnt.get("readOnly")), "rest": rest,
               "kind": next((k for k in vol if k != "name"), None)}
        if "configMap" in vol:
            out["configmap"] = vol["configMap"].get("name")
            items = vol["configMap"].get("items")
            out["key"] = rest if not items else next(
                (it["key"] for it in items if it["path"] == rest), None)
        return out

    manifest = positional[-1] if positional else None
    lock = opts.get("--lock")
    pod_sc = pod.get("securityContext") or {}
    c_sc = c.get("securityContext") or {}
    res = c.get("resources") or {}
    env_from = [e["secretRef"]["name"] for e in c.get("envFrom") or [] if "secretRef" in e]
    env_secrets = [e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env") or []
                   if "secretKeyRef" in (e.get("valueFrom") or {})]
    return {
        "name": meta.get("name"), "namespace": meta.get("namespace"),
        "completionMode": spec.get("completionMode"), "completions": spec.get("completions"),
        "parallelism": spec.get("parallelism"),
        "backoffLimitPerIndex": spec.get("backoffLimitPerIndex"),
        "backoffLimit": spec.get("backoffLimit"),
        "restartPolicy": pod.get("restartPolicy"), "containers": len(containers),
        "image": c.get("image"), "argv": argv,
        "program": posixpath.basename(argv[0]) if argv else None,
        "subcommand": argv[1] if len(argv) > 1 else None,
        "shard": shard, "shard_n": int(m.group(1)) if m else None,
        "fail_under": opts.get("--fail-under"), "resume": opts.get("--resume"),
        "positional": positional, "manifest": manifest,
        "manifest_volume": locate(manifest) if manifest else None,
        "lock": lock, "lock_volume": locate(lock) if lock else None,
        "resume_volume": locate(opts["--resume"]) if opts.get("--resume") else None,
        "secret_refs": env_from + env_secrets,
        "runAsNonRoot": bool(c_sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))),
        "readOnlyRootFilesystem": bool(c_sc.get("readOnlyRootFilesystem")),
        "allowPrivilegeEscalation": c_sc.get("allowPrivilegeEscalation"),
        "memory_request": (res.get("requests") or {}).get("memory"),
        "memory_limit": (res.get("limits") or {}).get("memory"),
        "cpu_request": (res.get("requests") or {}).get("cpu"),
        "mounts": {m["mountPath"]: m["name"] for m in c.get("volumeMounts") or []},
    }

job = docs["cachewarm-indexed-job.yaml"]
cron = docs["cachewarm-cronjob.yaml"]
facts["job"] = job_facts(job["metadata"], job["spec"])
tmpl = cron["spec"]["jobTemplate"]
facts["cron"] = job_facts({**(tmpl.get("metadata") or {}), "namespace": cron["metadata"].get("namespace")},
                          tmpl["spec"])
facts["cron"].update({"schedule": cron["spec"].get("schedule"),
                      "concurrencyPolicy": cron["spec"].get("concurrencyPolicy")})
facts["same_pod_template"] = job["spec"]["template"] == tmpl["spec"]["template"]
same = {k: job["spec"].get(k) == tmpl["spec"].get(k) for k in
        ("completionMode", "completions", "parallelism", "backoffLimitPerIndex", "backoffLimit",
         "podFailurePolicy", "activeDeadlineSeconds")}
facts["same_job_spec"] = [k for k, v in same.items() if not v]
json.dump(facts, sys.stdout, indent=1)
PY
f=$T/facts.json

# --- Kinds and API versions ---------------------------------------------------------------------
for pair in "$job_file:batch/v1:Job" "$cron_file:batch/v1:CronJob" "$secret_file:v1:Secret" \
  "$cm_file:v1:ConfigMap"; do
  IFS=: read -r file api kind <<<"$pair"
  expect_json "$f" ".files[\"$file\"].docs" 1
  expect_json "$f" ".files[\"$file\"].kind" "$kind"
  expect_json "$f" ".files[\"$file\"].apiVersion" "$api"
done

# --- The Secret and the ConfigMap ---------------------------------------------------------------
secret=$(jget "$f" .secret.name)
cm=$(jget "$f" .configmap.name)
ns=$(jget "$f" .secret.namespace)
expect_ne "$secret" null "the Secret has a name"
expect_json "$f" .secret.type Opaque
expect_json "$f" '.secret.keys | index("REDIS_PASSWORD") != null' true
expect_json "$f" '.secret.data_keys | length' 0
expect_json "$f" .configmap.namespace "$ns"
expect_json "$f" '.configmap.keys | index("manifest.yaml") != null' true
# Every ${VAR} (without a default) of the manifest comes from the Secret.
expect_json "$f" '.manifest_env | index("REDIS_PASSWORD") != null' true
missing=$(jq -r '.secret.keys as $k | [.manifest_env[] | select(. as $v | $k | index($v) | not)]
  | join(",")' "$f")
expect_eq "$missing" "" "manifest variables the Secret does not provide"

# --- The Job and the CronJob's jobTemplate --------------------------------------------------------
for w in job cron; do
  expect_json "$f" ".$w.namespace" "$ns"
  expect_json "$f" ".$w.completionMode" Indexed
  expect_json "$f" ".$w.program" cachewarm
  expect_json "$f" ".$w.subcommand" run
  expect_json "$f" ".$w.containers" 1
  n=$(jget "$f" ".$w.shard_n")
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || fail "$w: the command has no --shard auto/N (got: $(jget "$f" ".$w.shard"))"
  expect_json "$f" ".$w.completions" "$n"
  expect_json "$f" ".$w.parallelism" "$n"
  expect_json "$f" ".$w.fail_under" 99
  # Retries: per index (needs restartPolicy Never) or a total.
  expect_json "$f" "(.$w.backoffLimitPerIndex // .$w.backoffLimit) | type" number
  if [[ "$(jget "$f" ".$w.backoffLimitPerIndex")" != null ]]; then
    expect_json "$f" ".$w.restartPolicy" Never
  fi
  expect_json "$f" ".$w.image" cachewarm:latest
  # The Secret by name, and the manifest from the ConfigMap at the command's path, read-only.
  expect_json "$f" ".$w.secret_refs | index(\"$secret\") != null" true
  expect_json "$f" ".$w.positional | length" 1
  expect_json "$f" ".$w.manifest_volume.kind" configMap
  expect_json "$f" ".$w.manifest_volume.configmap" "$cm"
  expect_json "$f" ".$w.manifest_volume.key" manifest.yaml
  expect_json "$f" ".$w.manifest_volume.readOnly" true
  # The root filesystem is read-only: the lock (and any --resume state) is on an emptyDir.
  expect_json "$f" ".$w.readOnlyRootFilesystem" true
  expect_json "$f" ".$w.runAsNonRoot" true
  expect_json "$f" ".$w.allowPrivilegeEscalation" false
  expect_json "$f" ".$w.lock_volume.kind" emptyDir
  expect_json "$f" ".$w.lock_volume.readOnly" false
  expect_json "$f" "if .$w.resume then .$w.resume_volume.readOnly == false
    and .$w.resume_volume.kind != \"configMap\" else true end" true
  expect_json "$f" ".$w.memory_request" 64Mi
  [[ "$(jget "$f" ".$w.memory_limit")" =~ ^[0-9]+Mi$ ]] || fail "$w: no memory limit in Mi"
done
expect_json "$f" '.job.shard == .cron.shard' true
expect_json "$f" .same_pod_template true
expect_json "$f" '.same_job_spec | join(",")' ""
expect_json "$f" .cron.schedule "30 5 * * *"
expect_json "$f" .cron.concurrencyPolicy Forbid
n=$(jget "$f" .job.shard_n)

# --- The ConfigMap's manifest validates (it needs REDIS_PASSWORD, from the Secret) ----------------
expect_exit 0 env REDIS_PASSWORD=s3cret "$CACHEWARM" validate "$T/cm/manifest.yaml"
expect_contains "$(cat "$T/out.json" "$T/err.txt")" "ok (" "validate says ok"
expect_exit 2 env -u REDIS_PASSWORD "$CACHEWARM" validate "$T/cm/manifest.yaml"
expect_contains "$(cat "$T/err.txt")" REDIS_PASSWORD "without the Secret's variable the manifest is refused"

# --- The container's command, run as each index of the Job (dry runs, no Redis needed) -------------
# Paths the pod sees map to $T: the manifest's mount to $T/cm, every other mount to $T/<volume>.
mapfile -t argv < <(jq -r '.job.argv[]' "$f")
manifest=$(jget "$f" .job.manifest)
mapfile -t mounts < <(jq -r '.job.mounts | to_entries[] | "\(.key)\t\(.value)"' "$f")
cmd=("$CACHEWARM")
for a in "${argv[@]:1}"; do
  if [[ "$a" == "$manifest" ]]; then
    a=$T/cm/manifest.yaml
  else
    for m in "${mounts[@]}"; do
      mp=${m%%$'\t'*}
      vol=${m#*$'\t'}
      if [[ "$a" == "$mp"/* ]]; then
        mkdir -p "$T/$vol"
        a=$T/$vol/${a#"$mp"/}
      fi
    done
  fi
  cmd+=("$a")
done
# The command as given, plus a dry run at full speed.
cmd+=(--dry-run --rate unlimited)
manifest_arg=$T/cm/manifest.yaml

expect_exit 0 env REDIS_PASSWORD=s3cret "$CACHEWARM" run --dry-run --rate unlimited --progress never \
  "$manifest_arg"
whole=$(jget "$T/out.json" .totals.planned)
expect_ge "$whole" 1000 "keys of the example manifest"
expect_json "$T/out.json" 'has("shard")' false

sum=0
for ((i = 0; i < n; i++)); do
  expect_exit 0 env REDIS_PASSWORD=s3cret JOB_COMPLETION_INDEX="$i" "${cmd[@]}"
  expect_json "$T/out.json" .status ok
  expect_json "$T/out.json" .shard.index "$i"
  expect_json "$T/out.json" .shard.count "$n"
  planned=$(jget "$T/out.json" .totals.planned)
  expect_ge "$planned" $((whole / n / 2)) "keys of index $i (about 1/$n of $whole)"
  sum=$((sum + planned))
done
expect_eq "$sum" "$whole" "the $n shards' planned keys add up to the unsharded dry run"

# A Job with more completions than N: index N is refused.
expect_exit 2 env REDIS_PASSWORD=s3cret JOB_COMPLETION_INDEX="$n" "${cmd[@]}"
expect_contains "$(cat "$T/err.txt")" "--shard" "index N is a --shard error"
