#!/usr/bin/env bash
# scripts/notebooks/article.ipynb runs headless against a fresh small run:
# every cell must execute (a failing cell, including the notebook's own checks
# of its reading, fails this test) and every figure must render.  The notebook
# is stored without outputs.
source "$(dirname "$0")/common.bash"
export PYTHONDONTWRITEBYTECODE=1   # the kernel imports from the source tree
nb="$TYCHE_SRC/scripts/notebooks/article.ipynb"

$PY - "$nb" <<'PY' && ok || bad "$nb is stored with outputs"
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
code = [c for c in cells if c["cell_type"] == "code"]
assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
PY

"$TYCHE" run "$TYCHE_SRC/models/article.json" -n 5000 -q --store paths -o art.h5 \
  && ok || bad "article run"

# A kernel named python3 that is Debian's /usr/bin/python3 (the Python that
# sees python3-xarray and the rest), whatever kernels this machine has
# installed elsewhere: JUPYTER_PATH is searched first.
mkdir -p jupyter/kernels/python3
cat > jupyter/kernels/python3/kernel.json <<JSON
{"argv": ["$PY", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
 "display_name": "Python 3 (/usr/bin/python3)", "language": "python"}
JSON
if JUPYTER_PATH="$work/jupyter" JUPYTER_RUNTIME_DIR="$work/runtime" IPYTHONDIR="$work/ipython" \
   TYCHE_RESULTS="$work/art.h5" \
   PYDEVD_DISABLE_FILE_VALIDATION=1 $PY -m nbconvert --to notebook --execute \
     --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=python3 \
     "$nb" --output "$work/out.ipynb" >nbconvert.log 2>&1; then
  ok
else
  bad "the notebook failed: $(tail -n 40 nbconvert.log)"
fi

[[ -f out.ipynb ]] && $PY - <<'PY' && ok || bad "the executed notebook's outputs"
import json
cells = json.load(open("out.ipynb"))["cells"]
outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
assert not [o for o in outputs if o["output_type"] == "error"]
images = [o for o in outputs if "image/png" in o.get("data", {})]
assert len(images) == 6, f"{len(images)} figures, wanted 6"
text = "".join("".join(o.get("text", "")) for o in outputs)
assert "art.h5: scenario article" in text and "the reading's claims hold" in text, text
tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
assert tables and all(s in "".join(tables[0]) for s in ("P1", "P2", "P3", "P3_caused")), tables
print("notebook ok")
PY
finish
