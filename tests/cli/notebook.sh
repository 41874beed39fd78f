#!/usr/bin/env bash
# scripts/notebooks/article.ipynb runs headless against a fresh small run:
# every cell must execute (a failing cell, including the notebook's own checks
# of its reading, fails this test) and every figure must render.  The notebook
# is stored without outputs.
source "$(dirname "$0")/common.bash"
export PYTHONDONTWRITEBYTECODE=1   # the kernel imports from the source tree
# the Python API (import tyche) of this build: its python folder, beside the command
export PYTHONPATH="$(dirname "$TYCHE")/python${PYTHONPATH:+:$PYTHONPATH}"
$PY -c "import tyche._tyche" 2>/dev/null ||
  { echo "skipped: no Python module in $(dirname "$TYCHE")/python (python3-dev, TYCHE_PYTHON=ON)"; exit 77; }
nb="$TYCHE_SRC/scripts/notebooks/article.ipynb"

$PY - "$nb" <<'PY' && ok || bad "$nb is stored with outputs"
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
code = [c for c in cells if c["cell_type"] == "code"]
assert code and all(not c["outputs"] and c["execution_count"] is None for c in code)
PY

"$TYCHE" run "$TYCHE_SRC/models/article.json" -n 5000 -q --store paths -o art.h5 \
  && ok || bad "article run"

# README "Outputs": its xarray example runs with warnings as errors (NaT where an event never
# happened), and its reason for silencing xarray's cast warning by name still holds: each
# encoding of "never" a CF reader honours still warns with the installed xarray.
"$TYCHE" run "$TYCHE_SRC/models/option.json" -n 2000 -q --store outputs -o option.h5 \
  && ok || bad "option run"
$PY - "$TYCHE_SRC/README.md" <<'PY' && ok || bad "README's xarray example or its note on 'never'"
import re, sys, warnings
import h5netcdf, netCDF4, numpy as np, xarray as xr  # netCDF4 warns on import: before the filter

block = next(b for b in re.findall(r"```python\n(.*?)```", open(sys.argv[1]).read(), re.S)
             if "open_dataset" in b and "warnings.filterwarnings" in b)
with warnings.catch_warnings():
    warnings.simplefilter("error")
    ns = {}
    exec(block, ns)
    for engine in ("h5netcdf", "netcdf4"):
        t = xr.open_dataset("option.h5", engine=engine)["option.exercise_time"].load()
        assert np.issubdtype(t.dtype, np.datetime64), (engine, t.dtype)
        assert t.isnull().any() and t.notnull().any(), engine
    nc = netCDF4.Dataset("option.h5")["option.exercise_time"][:]
    assert np.ma.is_masked(nc) and not nc.mask.all()

encodings = {"NaN _FillValue": ("f8", np.nan, "_FillValue"),
             "_FillValue -1e300": ("f8", -1e300, "_FillValue"),
             "netCDF's default fill": ("f8", 9.969209968386869e36, "_FillValue"),
             "missing_value -1e300": ("f8", -1e300, "missing_value"),
             "int64 _FillValue": ("i8", -(2**63) + 2, "_FillValue")}
for name, (dtype, fill, key) in encodings.items():
    with h5netcdf.File("never.nc", "w") as h:
        h.dimensions = {"trial": 3}
        v = h.create_variable("t", ("trial",), dtype, fillvalue=fill if key == "_FillValue" else None)
        v[:] = np.array([1, fill, 3], dtype=dtype)
        v.attrs["units"] = "days since 2026-04-20"
        if key == "missing_value":
            v.attrs["missing_value"] = np.array(fill, dtype=dtype)
    for engine in ("h5netcdf", "netcdf4"):
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            t = xr.open_dataset("never.nc", engine=engine)["t"].load()
        assert np.isnat(t.values[1]) and not np.isnat(t.values[0]), (name, engine, t.values)
        cast = [w for w in ws if "invalid value encountered in cast" in str(w.message)]
        assert cast, (f"xarray {xr.__version__} ({engine}) no longer warns for {name}: revise "
                      "README 'An event that never happened' (an encoding may now avoid it)")
print("README xarray ok")
PY

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
assert len(images) == 7, f"{len(images)} figures, wanted 7 (plot.py's 6 and the what-if loop's)"
text = "".join("".join(o.get("text", "")) for o in outputs)
assert "art.h5: scenario article" in text and "the reading's claims hold" in text, text
tables = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
assert tables and all(s in "".join(tables[0]) for s in ("P1", "P2", "P3", "P3_caused")), tables
assert any("option.q" in "".join(t) and "P1" in "".join(t) for t in tables[1:]), "the what-if table"
print("notebook ok")
PY
finish
