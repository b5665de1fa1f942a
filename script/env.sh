# Sourced by the other scripts: puts the project's own tools (Node 24, pnpm 10,
# FerretDB) first on PATH. Safe to source from any folder.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
export PATH="$TOOLS/node/node_modules/.bin:$TOOLS/pnpm/node_modules/.bin:$TOOLS/bin:$ROOT/node_modules/.bin:$PATH"
# FerretDB is found here by packages/db when no mongod is available.
export AUTHKIT_TOOLS_DIR="$TOOLS"
# Never let a test tool fetch its own browser; we use Debian's Chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export MONGOMS_DISABLE_POSTINSTALL=1
