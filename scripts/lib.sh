# Shared helpers for scripts/*. Source it; do not run it.

# Installs what the build needs on a bare Debian machine: a JDK 17+ and Maven.
ensure_toolchain() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  if ((${#missing[@]})); then
    echo "installing ${missing[*]} (Debian packages): the build needs a JDK 17+ and Maven" >&2
    if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    # Through env: sudo would drop a plain DEBIAN_FRONTEND=... prefix.
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Installs Debian's Chromium and its chromedriver, which WebClientBrowserTest drives. Returns 1, with a note,
# where they are missing and apt-get is not there to install them (the test is then skipped); a failed
# install stops the script.
ensure_browser() {
  [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: no /usr/bin/chromium and /usr/bin/chromedriver and no apt-get: the browser test will be skipped" >&2
    return 1
  fi
  echo "installing chromium and chromium-driver (Debian packages, about 300 MB): the browser tests drive the" \
       "built-in web client in headless Chromium" >&2
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  # Called in an `if`, where set -e does not apply: failures exit explicitly.
  $SUDO apt-get update -qq || exit 1
  # Without recommends: a headless browser needs no avahi, printing or desktop integration.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium chromium-driver || exit 1
}

# For scripts/run and scripts/cluster: bin/chatd of the tar.gz (chat-server/src/dist), pointed at this tree's jar
# and configuration, so that they start the daemon as operators do (conf/jvm.options, the AOT cache on Java 25+).
CHATD_LAUNCHER=chat-server/src/dist/bin/chatd
use_source_tree_launcher() {
  export CHATD_JAR=$PWD/chat-server/target/chat-server.jar CHATD_CONF=$PWD/chat-server/src/dist/conf
}

# Builds the runnable jars unless they are newer than every source file.
ensure_built() {
  local jar=chat-server/target/chat-server.jar
  if [[ ! -f $jar ]] || [[ -n $(find pom.xml chat-core chat-redis chat-server chat-bench -newer "$jar" \
        \( -name '*.java' -o -name '*.xml' -o -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.properties' \) \
        -not -path '*/target/*' -print -quit) ]]; then
    echo "building..." >&2
    mvn -q -B package -DskipTests
  fi
}

# Installs nginx for NginxProxyTest (scripts/test requires it there). The package must not start nginx as a
# service: the test runs its own instance on a free port, and a stray daemon on :80 helps nobody.
# Installs Debian packages without starting their services: tests start their own instances on free ports.
apt_install_quietly() {
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  local policy=/usr/sbin/policy-rc.d created=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created=1
  fi
  $SUDO apt-get update -qq
  # Through env: sudo would drop a plain DEBIAN_FRONTEND=... prefix.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" || true
  if [[ -n $created ]]; then $SUDO rm -f "$policy"; fi
}

ensure_nginx() {
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] && return 0
  echo "installing nginx (Debian package, not started as a service): NginxProxyTest runs docs/nginx.conf" >&2
  apt_install_quietly nginx
  [[ -x /usr/sbin/nginx ]]
}

# jemalloc, which bin/chatd preloads where it is installed (it returns the JIT compiler's freed working memory
# to the OS; docs/operations.md, "Native memory: jemalloc"). The daemon runs without it, so a failed install
# only warns.
ensure_jemalloc() {
  jemalloc_installed && return 0
  command -v apt-get >/dev/null 2>&1 || return 0
  echo "installing libjemalloc2 (Debian package, 0.3 MB): bin/chatd runs the JVM on it" >&2
  apt_install_quietly libjemalloc2
  jemalloc_installed || echo "note: libjemalloc2 did not install; chatd runs on glibc's malloc" >&2
}
jemalloc_installed() {
  compgen -G "/usr/lib/*/libjemalloc.so.2" >/dev/null || compgen -G "/lib/*/libjemalloc.so.2" >/dev/null \
    || compgen -G "/usr/lib64/libjemalloc.so.2" >/dev/null
}

# The cluster tests (chat-redis, chat-server's ClusterProcessTest) and scripts/bench's cluster scenarios start
# their own redis-server on free ports.
ensure_redis() {
  command -v redis-server >/dev/null 2>&1 && return 0
  echo "installing redis-server (Debian package, not started as a service): the cluster tests run it" >&2
  apt_install_quietly redis-server
  command -v redis-server >/dev/null 2>&1
}
