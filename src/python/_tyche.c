/* _tyche: the CPython extension under the `tyche` package (python/tyche).
 *
 * A thin layer over the library's public API: it owns scenarios and
 * results, runs without the GIL, and hands columns back as bytes (the
 * package wraps them with numpy.frombuffer, so no numpy headers are needed
 * here).  Everything Pythonic (Datasets, names, attributes, tqdm) is in
 * python/tyche/__init__.py.
 *
 * A run: tyche_run goes on a thread of its own (its OpenMP team starts
 * there) while the calling thread, the interpreter's, waits on a condition
 * variable without the GIL and wakes every 50 ms to take the GIL, check
 * for signals (only the main thread may run Python's signal handlers, so
 * this cannot be a watcher thread) and report progress.  Ctrl-C sets the
 * engine's cancel flag (tyche_run_config.cancel), which stops the run
 * within a block; the KeyboardInterrupt is then raised, with nothing
 * leaked.  Errors: TYCHE_EINPUT -> ValueError (the command's message,
 * "<file>: <json path>: ..."), EIO -> OSError, ENOMEM -> MemoryError,
 * ERUN -> RuntimeError. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <errno.h>
#include <time.h>
#include <string.h>
#include "tyche/tyche.h"

static PyObject *raise_err(const tyche_err *e) {
    PyObject *type = e->code == TYCHE_EINPUT ? PyExc_ValueError
                     : e->code == TYCHE_EIO  ? PyExc_OSError
                     : e->code == TYCHE_ENOMEM ? PyExc_MemoryError
                                               : PyExc_RuntimeError;
    if (e->code == TYCHE_ENOMEM && !e->msg[0]) return PyErr_NoMemory();
    PyErr_SetString(type, e->msg[0] ? e->msg : "tyche: failed");
    return NULL;
}

/* ---- Scenario ------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    tyche_scenario *s;
} ScenarioObject;

static void Scenario_dealloc(ScenarioObject *self) {
    tyche_scenario_free(self->s);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A list of str into a C array of borrowed UTF-8 pointers (valid while the
 * list lives).  Returns 0 or -1 with an exception. */
static int str_list(PyObject *seq, const char ***out, size_t *n, const char *what) {
    *out = NULL;
    *n = 0;
    if (seq == NULL || seq == Py_None) return 0;
    if (!PyList_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "%s: a list of str", what);
        return -1;
    }
    Py_ssize_t len = PyList_GET_SIZE(seq);
    if (len == 0) return 0;
    const char **a = PyMem_Calloc((size_t)len, sizeof *a);
    if (a == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *it = PyList_GET_ITEM(seq, i);
        if (!PyUnicode_Check(it) || (a[i] = PyUnicode_AsUTF8(it)) == NULL) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%s: a list of str", what);
            PyMem_Free(a);
            return -1;
        }
    }
    *out = a;
    *n = (size_t)len;
    return 0;
}

static int Scenario_init(ScenarioObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "text", "name", "set", "as_of", "observed", NULL};
    const char *path = NULL, *name = "<dict>", *as_of = NULL;
    Py_buffer text = {0};
    PyObject *set = NULL, *observed = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|zs*zOzO", kwlist, &path, &text, &name, &set,
                                     &as_of, &observed))
        return -1;
    if ((path == NULL) == (text.buf == NULL)) {
        if (text.buf) PyBuffer_Release(&text);
        PyErr_SetString(PyExc_TypeError, "Scenario: give a path or a text, not both");
        return -1;
    }
    const char **sets = NULL, **obs = NULL;
    size_t n_set = 0, n_obs = 0;
    int rc = -1;
    if (str_list(set, &sets, &n_set, "set") || str_list(observed, &obs, &n_obs, "observed"))
        goto done;
    tyche_scenario_options o = {as_of, n_set, sets, n_obs, obs};
    tyche_err e = {0};
    tyche_scenario *s;
    Py_BEGIN_ALLOW_THREADS
    s = path ? tyche_scenario_load_with(path, &o, &e)
             : tyche_scenario_parse_with(text.buf, (size_t)text.len, name, &o, &e);
    Py_END_ALLOW_THREADS
    if (s == NULL) {
        raise_err(&e);
        goto done;
    }
    tyche_scenario_free(self->s);
    self->s = s;
    rc = 0;
done:
    PyMem_Free(sets);
    PyMem_Free(obs);
    if (text.buf) PyBuffer_Release(&text);
    return rc;
}

static int need_s(const ScenarioObject *self) {
    if (self->s) return 0;
    PyErr_SetString(PyExc_ValueError, "Scenario: not loaded");
    return -1;
}

static PyObject *bytes_of(const void *p, size_t n) {
    return PyBytes_FromStringAndSize(p ? (const char *)p : "", p ? (Py_ssize_t)n : 0);
}

/* Adds key = value to d, stealing value; -1 on error (value NULL included). */
static int put(PyObject *d, const char *key, PyObject *value) {
    if (value == NULL) return -1;
    int rc = PyDict_SetItemString(d, key, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *Scenario_meta(ScenarioObject *self, PyObject *unused) {
    (void)unused;
    if (need_s(self)) return NULL;
    const tyche_scenario *s = self->s;
    PyObject *d = PyDict_New(), *l = NULL, *e = NULL;
    if (d == NULL) return NULL;
    char hash[65], buf[1024];
    tyche_scenario_hash(s, hash);
    if (put(d, "name", PyUnicode_FromString(tyche_scenario_name(s))) ||
        put(d, "title", PyUnicode_FromString(tyche_scenario_title(s))) ||
        put(d, "file", PyUnicode_FromString(tyche_scenario_file(s))) ||
        put(d, "text", PyUnicode_FromString(tyche_scenario_text(s))) ||
        put(d, "hash", PyUnicode_FromString(hash)) ||
        put(d, "start", PyLong_FromLong(tyche_scenario_start(s))) ||
        put(d, "horizon", PyLong_FromLong(tyche_scenario_horizon(s))) ||
        put(d, "as_of", PyLong_FromLong(tyche_scenario_as_of(s))) ||
        put(d, "version", PyUnicode_FromString(tyche_version())))
        goto fail;
    if ((l = PyList_New(0)) == NULL) goto fail;
    for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
        tyche_param_info pi;
        tyche_scenario_param(s, i, &pi);
        tyche_scenario_param_format(s, i, buf, sizeof buf);
        e = Py_BuildValue("{s:s,s:s,s:s,s:s,s:O,s:O}", "name", pi.name, "units",
                          pi.units ? pi.units : "", "description",
                          pi.description ? pi.description : "", "prior", buf, "overridden",
                          pi.overridden ? Py_True : Py_False, "posterior",
                          pi.posterior ? Py_True : Py_False);
        if (e == NULL || PyList_Append(l, e)) goto fail;
        Py_CLEAR(e);
    }
    if (put(d, "params", l)) { l = NULL; goto fail; }
    if ((l = PyList_New(0)) == NULL) goto fail;
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        e = Py_BuildValue("{s:s,s:s,s:s,s:s}", "name", oi.name, "units", oi.units ? oi.units : "",
                          "description", oi.description ? oi.description : "", "type",
                          oi.type == TYCHE_OUTPUT_TIME ? "time" : "value");
        if (e == NULL || PyList_Append(l, e)) goto fail;
        Py_CLEAR(e);
    }
    if (put(d, "outputs", l)) { l = NULL; goto fail; }
    if ((l = PyList_New(0)) == NULL) goto fail;
    for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
        tyche_statement_info si;
        tyche_scenario_statement(s, i, &si);
        e = Py_BuildValue("{s:s,s:s,s:s,s:s}", "id", si.id, "text", si.text ? si.text : "",
                          "group", si.group ? si.group : "", "rule", si.rule ? si.rule : "");
        if (e == NULL || PyList_Append(l, e)) goto fail;
        Py_CLEAR(e);
    }
    if (put(d, "statements", l)) { l = NULL; goto fail; }
    if ((l = PyList_New(0)) == NULL) goto fail;
    for (size_t i = 0; i < tyche_scenario_n_paths(s); i++) {
        tyche_path_info pi;
        tyche_scenario_path(s, i, &pi);
        PyObject *labels = PyList_New((Py_ssize_t)pi.n_points);
        if (labels == NULL) goto fail;
        for (size_t k = 0; k < pi.n_points; k++) {
            PyObject *t = PyUnicode_FromString(pi.labels[k]);
            if (t == NULL) { Py_DECREF(labels); goto fail; }
            PyList_SET_ITEM(labels, (Py_ssize_t)k, t);
        }
        e = Py_BuildValue("{s:s,s:s,s:s,s:N,s:N}", "name", pi.name, "units",
                          pi.units ? pi.units : "", "dim", pi.dim, "labels", labels, "times",
                          bytes_of(pi.times, pi.n_points * sizeof(double)));
        if (e == NULL || PyList_Append(l, e)) goto fail;
        Py_CLEAR(e);
    }
    if (put(d, "paths", l)) { l = NULL; goto fail; }
    if ((l = PyList_New(0)) == NULL) goto fail;
    for (size_t k = 0; k < tyche_scenario_n_joint(s); k++) {
        e = PyLong_FromSize_t(tyche_scenario_joint(s, k));
        if (e == NULL || PyList_Append(l, e)) goto fail;
        Py_CLEAR(e);
    }
    if (put(d, "joint", l)) { l = NULL; goto fail; }
    if ((l = PyList_New(0)) == NULL) goto fail;
    for (size_t k = 0; k < tyche_scenario_n_models(s); k++) {
        const char *mn, *kind;
        tyche_scenario_model(s, k, &mn, &kind);
        e = Py_BuildValue("(ss)", mn, kind);
        if (e == NULL || PyList_Append(l, e)) goto fail;
        Py_CLEAR(e);
    }
    if (put(d, "models", l)) { l = NULL; goto fail; }
    return d;
fail:
    Py_XDECREF(e);
    Py_XDECREF(l);
    Py_DECREF(d);
    return NULL;
}

/* ---- Results ------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    tyche_results *r;
    PyObject *scenario; /* the ScenarioObject it ran (kept alive: columns refer to it) */
    tyche_run_config cfg; /* for replay of an LHS/QMC design (rng: static) */
    char rng[32];
} ResultsObject;

static PyTypeObject ResultsType;
static PyTypeObject ScenarioType;

static void Results_dealloc(ResultsObject *self) {
    tyche_results_free(self->r);
    Py_XDECREF(self->scenario);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static const tyche_scenario *res_s(const ResultsObject *self) {
    return ((ScenarioObject *)self->scenario)->s;
}

static PyObject *Results_info(ResultsObject *self, PyObject *unused) {
    (void)unused;
    tyche_run_info in;
    tyche_results_info(self->r, &in);
    static const char *const stores[3] = {"none", "outputs", "paths"};
    static const char *const samplings[3] = {"mc", "lhs", "qmc"};
    return Py_BuildValue("{s:K,s:K,s:i,s:s,s:s,s:d,s:K,s:s,s:i,s:i}", "trials",
                         (unsigned long long)in.trials, "seed", (unsigned long long)in.seed,
                         "threads", in.threads, "generator", in.rng ? in.rng : "", "store",
                         stores[in.store], "seconds", in.seconds, "attempts",
                         (unsigned long long)in.attempts, "sampling", samplings[in.sampling],
                         "replicates", in.replicates, "ranks", in.ranks);
}

/* Per-trial column: kind 0 param, 1 output, 2 statement (uint8), 3 path. */
static PyObject *Results_column(ResultsObject *self, PyObject *args) {
    int kind;
    Py_ssize_t i;
    if (!PyArg_ParseTuple(args, "in", &kind, &i)) return NULL;
    const tyche_scenario *s = res_s(self);
    tyche_run_info in;
    tyche_results_info(self->r, &in);
    size_t n = kind == 0 ? tyche_scenario_n_params(s)
               : kind == 1 ? tyche_scenario_n_outputs(s)
               : kind == 2 ? tyche_scenario_n_statements(s)
                           : tyche_scenario_n_paths(s);
    if (i < 0 || (size_t)i >= n || kind < 0 || kind > 3) {
        PyErr_SetString(PyExc_IndexError, "column out of range");
        return NULL;
    }
    const void *p;
    size_t bytes = (size_t)in.trials * sizeof(double);
    if (kind == 0) p = tyche_results_param_column(self->r, (size_t)i);
    else if (kind == 1) p = tyche_results_output_column(self->r, (size_t)i);
    else if (kind == 2) {
        p = tyche_results_statement_column(self->r, (size_t)i);
        bytes = (size_t)in.trials;
    } else {
        tyche_path_info pi;
        tyche_scenario_path(s, (size_t)i, &pi);
        p = tyche_results_path(self->r, (size_t)i);
        bytes *= pi.n_points;
    }
    if (p == NULL) Py_RETURN_NONE; /* not stored */
    return bytes_of(p, bytes);
}

static void prob4(const tyche_prob *p, double *d, size_t stride) {
    d[0] = p->probability;
    d[stride] = p->stderr_;
    d[2 * stride] = p->ci95_lo;
    d[3 * stride] = p->ci95_hi;
}

/* The numbers of the HDF5 file's /summary, as bytes of doubles (counts as
 * uint64), computed by the same accessors the writer uses. */
static PyObject *Results_summary(ResultsObject *self, PyObject *unused) {
    (void)unused;
    const tyche_scenario *s = res_s(self);
    const tyche_results *r = self->r;
    const size_t ns = tyche_scenario_n_statements(s), no = tyche_scenario_n_outputs(s);
    const size_t nm = tyche_results_n_months(r), nj = tyche_scenario_n_joint(s);
    size_t ne = 0;
    for (size_t i = 0; i < no; i++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        ne += oi.type == TYCHE_OUTPUT_TIME;
    }
    size_t big = 4 * ns + 9 * no + 3 * no + 2 * ne * nm + 3 * nj * nj + nm + 4 + 2 * ns;
    double *d = PyMem_Calloc(big + 1, sizeof *d);
    uint64_t *u = PyMem_Calloc(ns + no + 1, sizeof *u);
    PyObject *out = PyDict_New();
    if (d == NULL || u == NULL || out == NULL) {
        PyMem_Free(d);
        PyMem_Free(u);
        Py_XDECREF(out);
        return PyErr_NoMemory();
    }
    tyche_run_info in;
    tyche_results_info(r, &in);
    static const char *const pn[4] = {"probability", "stderr", "ci95_low", "ci95_high"};
    tyche_prob p;
    for (size_t i = 0; i < ns; i++) {
        tyche_results_statement(r, i, &p);
        prob4(&p, d + i, ns);
        u[i] = p.count;
    }
    for (int f = 0; f < 4; f++)
        if (put(out, pn[f], bytes_of(d + (size_t)f * ns, ns * sizeof *d))) goto fail;
    if (put(out, "count", bytes_of(u, ns * sizeof *u))) goto fail;
    if (in.replicates > 1) {
        for (size_t i = 0; i < ns; i++) d[i] = tyche_results_statement_replicate_se(r, i);
        if (put(out, "stderr_replicates", bytes_of(d, ns * sizeof *d))) goto fail;
    }
    tyche_output_summary os;
    for (size_t i = 0; i < no; i++) {
        tyche_results_output(r, i, &os);
        d[i] = os.mean;
        d[no + i] = os.sd;
        d[2 * no + i] = os.missing_fraction;
        u[i] = os.n;
        for (int q = 0; q < 9; q++) d[3 * no + i * 9 + (size_t)q] = os.q[q];
    }
    if (put(out, "mean", bytes_of(d, no * sizeof *d)) ||
        put(out, "sd", bytes_of(d + no, no * sizeof *d)) ||
        put(out, "missing_fraction", bytes_of(d + 2 * no, no * sizeof *d)) ||
        put(out, "n", bytes_of(u, no * sizeof *u)) ||
        put(out, "quantiles", bytes_of(d + 3 * no, 9 * no * sizeof *d)) ||
        put(out, "quantile", bytes_of(tyche_quantile_levels, 9 * sizeof(double))))
        goto fail;
    for (size_t m = 0; m < nm; m++) d[m] = tyche_results_month_time(r, m);
    if (put(out, "month", bytes_of(d, nm * sizeof *d))) goto fail;
    for (size_t i = 0, e = 0; i < no; i++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        if (oi.type != TYCHE_OUTPUT_TIME) continue;
        for (size_t m = 0; m < nm; m++) {
            tyche_results_incidence(r, i, m, &p);
            d[e * nm + m] = p.probability;
            d[ne * nm + e * nm + m] = p.stderr_;
        }
        e++;
    }
    if (put(out, "incidence", bytes_of(d, ne * nm * sizeof *d)) ||
        put(out, "incidence_stderr", bytes_of(d + ne * nm, ne * nm * sizeof *d)))
        goto fail;
    for (size_t k = 0; k < nj; k++)
        for (size_t l = 0; l < nj; l++) {
            tyche_results_joint_pair(r, k, l, &p);
            d[k * nj + l] = p.probability;
            tyche_results_joint_corr(r, k, l, &d[nj * nj + k * nj + l],
                                     &d[2 * nj * nj + k * nj + l]);
        }
    if (put(out, "joint_pair_probability", bytes_of(d, nj * nj * sizeof *d)) ||
        put(out, "joint_correlation", bytes_of(d + nj * nj, nj * nj * sizeof *d)) ||
        put(out, "joint_correlation_stderr", bytes_of(d + 2 * nj * nj, nj * nj * sizeof *d)))
        goto fail;
    tyche_results_joint_all(r, &p);
    if (put(out, "joint_all_probability", PyFloat_FromDouble(p.probability)) ||
        put(out, "joint_all_stderr", PyFloat_FromDouble(p.stderr_)) ||
        put(out, "joint_all_ci95_low", PyFloat_FromDouble(p.ci95_lo)) ||
        put(out, "joint_all_ci95_high", PyFloat_FromDouble(p.ci95_hi)))
        goto fail;
    PyMem_Free(d);
    PyMem_Free(u);
    return out;
fail:
    PyMem_Free(d);
    PyMem_Free(u);
    Py_DECREF(out);
    return NULL;
}

static PyObject *Results_to_hdf5(ResultsObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "command_line", "created_utc", "compress", NULL};
    const char *path, *cl = "python: tyche", *created = "";
    int compress = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|ssi", kwlist, &path, &cl, &created, &compress))
        return NULL;
    tyche_provenance pv = {cl, created, compress, NULL, NULL};
    tyche_err e = {0};
    tyche_status st;
    Py_BEGIN_ALLOW_THREADS
    st = tyche_write_hdf5(res_s(self), self->r, &pv, path, &e);
    Py_END_ALLOW_THREADS
    if (st != TYCHE_OK) return raise_err(&e);
    Py_RETURN_NONE;
}

static PyObject *Results_summary_json(ResultsObject *self, PyObject *unused) {
    (void)unused;
    tyche_provenance pv = {"python: tyche", "", 0, NULL, NULL};
    char *j = tyche_summary_json_string(res_s(self), self->r, &pv);
    if (j == NULL) return PyErr_NoMemory();
    PyObject *o = PyUnicode_FromString(j);
    free(j);
    return o;
}

/* ---- run ----------------------------------------------------------------------- */

typedef struct {
    const tyche_scenario *s;
    tyche_run_config cfg;
    tyche_results *r;
    tyche_err err;
    volatile int cancel;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished;
    uint64_t done, total; /* progress, under mu */
} run_job;

static void job_progress(void *user, uint64_t done, uint64_t total) {
    run_job *j = user;
    pthread_mutex_lock(&j->mu);
    j->done = done;
    j->total = total;
    pthread_mutex_unlock(&j->mu);
}

static void *job_main(void *arg) {
    run_job *j = arg;
    tyche_results *r = tyche_run(j->s, &j->cfg, &j->err);
    pthread_mutex_lock(&j->mu);
    j->r = r;
    j->finished = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

static int parse_store(const char *s, tyche_store *out) {
    if (!strcmp(s, "none")) *out = TYCHE_STORE_NONE;
    else if (!strcmp(s, "outputs")) *out = TYCHE_STORE_OUTPUTS;
    else if (!strcmp(s, "paths")) *out = TYCHE_STORE_PATHS;
    else return -1;
    return 0;
}

static int parse_sampling(const char *s, tyche_sampling *out) {
    if (!strcmp(s, "mc")) *out = TYCHE_SAMPLING_MC;
    else if (!strcmp(s, "lhs")) *out = TYCHE_SAMPLING_LHS;
    else if (!strcmp(s, "qmc")) *out = TYCHE_SAMPLING_QMC;
    else return -1;
    return 0;
}

static PyObject *Scenario_run(ScenarioObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"trials", "seed", "threads", "store", "sampling", "replicates",
                             "rng", "progress", NULL};
    unsigned long long trials = 100000, seed = 1;
    int threads = 0, replicates = 10;
    const char *store = "outputs", *sampling = "mc", *rng = NULL;
    PyObject *progress = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|KKissizO", kwlist, &trials, &seed, &threads,
                                     &store, &sampling, &replicates, &rng, &progress))
        return NULL;
    if (need_s(self)) return NULL;
    ResultsObject *res = PyObject_New(ResultsObject, &ResultsType);
    if (res == NULL) return NULL;
    res->r = NULL;
    Py_INCREF(self);
    res->scenario = (PyObject *)self;
    run_job *j = PyMem_Calloc(1, sizeof *j);
    if (j == NULL) {
        Py_DECREF(res);
        return PyErr_NoMemory();
    }
    j->s = self->s;
    tyche_run_config_init(&j->cfg);
    j->cfg.trials = trials;
    j->cfg.seed = seed;
    j->cfg.threads = threads;
    j->cfg.rng = rng;
    j->cfg.replicates = replicates;
    j->cfg.progress = job_progress;
    j->cfg.progress_user = j;
    j->cfg.cancel = &j->cancel;
    if (parse_store(store, &j->cfg.store)) {
        PyErr_Format(PyExc_ValueError, "--store: %s: want none, outputs or paths", store);
        goto fail;
    }
    if (parse_sampling(sampling, &j->cfg.sampling)) {
        PyErr_Format(PyExc_ValueError, "--sampling: %s: want mc, lhs or qmc", sampling);
        goto fail;
    }
    if (j->cfg.sampling == TYCHE_SAMPLING_MC) j->cfg.replicates = 0;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, job_main, j) != 0) {
        pthread_cond_destroy(&j->cv);
        pthread_mutex_destroy(&j->mu);
        PyErr_SetString(PyExc_RuntimeError, "tyche: could not start the run's thread");
        goto fail;
    }
    uint64_t shown = 0;
    int raised = 0; /* a Python exception (Ctrl-C, the progress callback's) is pending */
    for (;;) {
        int finished;
        uint64_t done, total;
        Py_BEGIN_ALLOW_THREADS
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&j->mu);
        if (!j->finished) pthread_cond_timedwait(&j->cv, &j->mu, &ts);
        finished = j->finished;
        done = j->done;
        total = j->total;
        pthread_mutex_unlock(&j->mu);
        Py_END_ALLOW_THREADS
        if (finished) break;
        if (raised) continue; /* cancelled: wait for the run to stop */
        if (PyErr_CheckSignals() < 0) raised = 1;
        else if (progress != Py_None && done != shown) {
            PyObject *o = PyObject_CallFunction(progress, "KK", (unsigned long long)done,
                                                (unsigned long long)total);
            if (o == NULL) raised = 1;
            Py_XDECREF(o);
            shown = done;
        }
        if (raised) j->cancel = 1;
    }
    pthread_join(th, NULL);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    if (!raised && j->r && progress != Py_None && j->done != shown) {
        PyObject *o = PyObject_CallFunction(progress, "KK", (unsigned long long)j->done,
                                            (unsigned long long)j->total);
        if (o == NULL) raised = 1;
        Py_XDECREF(o);
    }
    if (raised) {
        tyche_results_free(j->r); /* finished before it saw the flag: dropped all the same */
        goto fail;
    }
    if (j->r == NULL) {
        raise_err(&j->err);
        goto fail;
    }
    res->r = j->r;
    res->cfg = j->cfg;
    res->cfg.progress = NULL;
    res->cfg.progress_user = NULL;
    res->cfg.cancel = NULL;
    snprintf(res->rng, sizeof res->rng, "%s", rng ? rng : "");
    res->cfg.rng = rng ? res->rng : NULL;
    PyMem_Free(j);
    return (PyObject *)res;
fail:
    PyMem_Free(j);
    Py_DECREF(res);
    return NULL;
}

/* replay(trial): one trial alone, as the run computed it. */
static PyObject *Results_replay(ResultsObject *self, PyObject *args) {
    unsigned long long trial;
    if (!PyArg_ParseTuple(args, "K", &trial)) return NULL;
    const tyche_scenario *s = res_s(self);
    tyche_trial_record *t = tyche_trial_record_alloc(s);
    if (t == NULL) return PyErr_NoMemory();
    tyche_err e = {0};
    tyche_status st;
    Py_BEGIN_ALLOW_THREADS
    st = tyche_replay_run(s, &self->cfg, trial, t, &e);
    Py_END_ALLOW_THREADS
    if (st != TYCHE_OK) {
        tyche_trial_record_free(t);
        return raise_err(&e);
    }
    size_t np = 0;
    for (size_t i = 0; i < tyche_scenario_n_paths(s); i++) {
        tyche_path_info pi;
        tyche_scenario_path(s, i, &pi);
        np += pi.n_points;
    }
    PyObject *o = Py_BuildValue(
        "{s:N,s:N,s:N,s:N,s:I}", "params",
        bytes_of(t->params, tyche_scenario_n_params(s) * sizeof(double)), "outputs",
        bytes_of(t->outputs, tyche_scenario_n_outputs(s) * sizeof(double)), "statements",
        bytes_of(t->statements, tyche_scenario_n_statements(s)), "paths",
        t->paths ? bytes_of(t->paths, np * sizeof(double)) : bytes_of(NULL, 0), "redraws",
        (unsigned)t->redraws);
    tyche_trial_record_free(t);
    return o;
}

/* ---- tornado, sweep, sobol ---------------------------------------------------------- */

/* An analysis on a thread of its own while the interpreter's thread waits
 * without the GIL, checking for Ctrl-C every 50 ms (as a run does: only the
 * main thread runs Python's signal handlers); Ctrl-C sets the analysis's
 * cancel flag and the wait goes on until it has stopped.  Returns 0, 1 when
 * a signal raised (the exception is set), -1 when the thread could not
 * start (RuntimeError set). */
typedef struct {
    void (*fn)(void *);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished;
} bg_job;

static void *bg_main(void *a) {
    bg_job *b = a;
    b->fn(b->arg);
    pthread_mutex_lock(&b->mu);
    b->finished = 1;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static int wait_interruptibly(void (*fn)(void *), void *arg, volatile int *cancel) {
    bg_job b = {fn, arg, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t th;
    if (pthread_create(&th, NULL, bg_main, &b) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "tyche: could not start the analysis's thread");
        return -1;
    }
    int raised = 0;
    for (;;) {
        int finished;
        Py_BEGIN_ALLOW_THREADS
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&b.mu);
        if (!b.finished) pthread_cond_timedwait(&b.cv, &b.mu, &ts);
        finished = b.finished;
        pthread_mutex_unlock(&b.mu);
        Py_END_ALLOW_THREADS
        if (finished) break;
        if (!raised && PyErr_CheckSignals() < 0) raised = 1, *cancel = 1;
    }
    pthread_join(th, NULL);
    pthread_cond_destroy(&b.cv);
    pthread_mutex_destroy(&b.mu);
    return raised;
}

typedef struct {
    int sweep;
    const char *path;
    const tyche_scenario_options *o;
    size_t n_axes;
    const char *const *names;
    const double *const *vals;
    const size_t *counts;
    const tyche_tornado_config *cfg;
    tyche_err *e;
    tyche_sensitivity *t;
} sens_job;

static void sens_main(void *a) {
    sens_job *j = a;
    j->t = j->sweep ? tyche_sweep_run(j->path, j->o, j->n_axes, j->names, j->vals, j->counts, j->cfg, j->e)
                    : tyche_tornado_run(j->path, j->o, j->cfg, j->e);
}

typedef struct {
    const char *path;
    const tyche_scenario_options *o;
    const tyche_sobol_config *cfg;
    tyche_err *e;
    tyche_sobol *t;
} sobol_job;

static void sobol_main(void *a) {
    sobol_job *j = a;
    j->t = tyche_sobol_run(j->path, j->o, j->cfg, j->e);
}

/* The scenario options of a sensitivity call (the library loads the file
 * itself, once per run it makes).  Frees with opts_free. */
typedef struct {
    tyche_scenario_options o;
    const char **sets, **obs;
} sens_opts;

static int opts_get(PyObject *set, const char *as_of, PyObject *observed, sens_opts *so) {
    memset(so, 0, sizeof *so);
    if (str_list(set, &so->sets, &so->o.n_set, "set") ||
        str_list(observed, &so->obs, &so->o.n_observed, "observed")) {
        PyMem_Free(so->sets);
        return -1;
    }
    so->o.as_of = as_of;
    so->o.set = so->sets;
    so->o.observed = so->obs;
    return 0;
}

static void opts_free(sens_opts *so) {
    PyMem_Free(so->sets);
    PyMem_Free(so->obs);
}

static PyObject *names_list(size_t n, const char *(*get)(const void *, size_t), const void *t) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l && i < n; i++) {
        PyObject *s = PyUnicode_FromString(get(t, i));
        if (s == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, (Py_ssize_t)i, s);
    }
    return l;
}

static const char *sens_stmt(const void *t, size_t j) { return tyche_sensitivity_statement(t, j); }
static const char *torn_param(const void *t, size_t k) { return tyche_tornado_param(t, k); }
static const char *sobol_target(const void *t, size_t i) { return tyche_sobol_target(t, i); }
static const char *sobol_param(const void *t, size_t k) { return tyche_sobol_param(t, k); }

/* Bytes of n doubles, filled by fill(t, i, out) for i < n. */
static PyObject *doubles(size_t n, void (*fill)(const void *, size_t, double *, void *),
                         const void *t, void *extra) {
    double *d = PyMem_Calloc(n + 1, sizeof *d);
    if (d == NULL) return PyErr_NoMemory();
    for (size_t i = 0; i < n; i++) fill(t, i, &d[i], extra);
    PyObject *b = bytes_of(d, n * sizeof *d);
    PyMem_Free(d);
    return b;
}

typedef struct {
    size_t ns;
    int field;
} sens_field;

static void f_baseline(const void *t, size_t j, double *v, void *x) {
    (void)x;
    *v = tyche_sensitivity_baseline(t, j);
}
static void f_tornado(const void *t, size_t i, double *v, void *x) {
    const sens_field *f = x;
    const size_t k = i / f->ns, j = i % f->ns;
    double a, b;
    tyche_tornado_prob(t, k, j, &a, &b);
    *v = f->field == 0   ? a
         : f->field == 1 ? b
         : f->field == 2 ? b - a
                         : tyche_tornado_swing_se(t, k, j);
}
static void f_tornado_value(const void *t, size_t k, double *v, void *x) {
    double lo, hi;
    tyche_tornado_values(t, k, &lo, &hi);
    *v = *(const int *)x ? hi : lo;
}
static void f_sweep(const void *t, size_t i, double *v, void *x) {
    const sens_field *f = x;
    const size_t n = i / f->ns, j = i % f->ns;
    double p, se, d, dse;
    tyche_sweep_prob(t, n, j, &p, &se);
    tyche_sweep_diff(t, n, j, &d, &dse);
    /* diff as the file has it: probability minus the baseline */
    *v = f->field == 0   ? p
         : f->field == 1 ? se
         : f->field == 2 ? p - tyche_sensitivity_baseline(t, j)
                         : dse;
}

static PyObject *sens_run(PyObject *self, PyObject *args, PyObject *kw, int sweep) {
    (void)self;
    static char *kwlist[] = {"path", "set", "as_of", "observed", "trials", "seed", "threads",
                             "low", "high", "names", "values", NULL};
    const char *path, *as_of = NULL;
    PyObject *set = NULL, *observed = NULL, *names = NULL, *values = NULL;
    unsigned long long trials = 20000, seed = 1;
    int threads = 0;
    double low = 0.1, high = 0.9;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|OzOKKiddOO", kwlist, &path, &set, &as_of,
                                     &observed, &trials, &seed, &threads, &low, &high, &names,
                                     &values))
        return NULL;
    sens_opts so;
    if (opts_get(set, as_of, observed, &so)) return NULL;
    volatile int cancel = 0;
    tyche_tornado_config cfg = {trials, seed, threads, NULL, low, high, &cancel};
    tyche_err e = {0};
    tyche_sensitivity *t = NULL;
    const char **an = NULL;
    size_t n_axes = 0, *counts = NULL;
    double **vals = NULL;
    PyObject *out = NULL;
    if (sweep) {
        if (str_list(names, &an, &n_axes, "names")) goto done;
        if (!PyList_Check(values) || (size_t)PyList_GET_SIZE(values) != n_axes || n_axes == 0) {
            PyErr_SetString(PyExc_ValueError, "sweep: one list of values per parameter");
            goto done;
        }
        counts = PyMem_Calloc(n_axes, sizeof *counts);
        vals = PyMem_Calloc(n_axes, sizeof *vals);
        if (counts == NULL || vals == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (size_t k = 0; k < n_axes; k++) {
            PyObject *l = PyList_GET_ITEM(values, (Py_ssize_t)k);
            if (!PyList_Check(l) || PyList_GET_SIZE(l) == 0) {
                PyErr_SetString(PyExc_ValueError, "sweep: each axis a non-empty list of numbers");
                goto done;
            }
            counts[k] = (size_t)PyList_GET_SIZE(l);
            if ((vals[k] = PyMem_Calloc(counts[k], sizeof **vals)) == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            for (size_t i = 0; i < counts[k]; i++) {
                vals[k][i] = PyFloat_AsDouble(PyList_GET_ITEM(l, (Py_ssize_t)i));
                if (PyErr_Occurred()) goto done;
            }
        }
    }
    sens_job job = {sweep, path, &so.o, n_axes, an, (const double *const *)vals, counts, &cfg, &e, NULL};
    const int w8 = wait_interruptibly(sens_main, &job, &cancel);
    t = job.t;
    if (w8 != 0) { /* Ctrl-C (KeyboardInterrupt set), or no thread */
        tyche_sensitivity_free(t);
        t = NULL;
        goto done;
    }
    if (t == NULL) {
        raise_err(&e);
        goto done;
    }
    const size_t ns = tyche_sensitivity_n_statements(t);
    if ((out = PyDict_New()) == NULL) goto done;
    if (put(out, "statement", names_list(ns, sens_stmt, t)) ||
        put(out, "baseline", doubles(ns, f_baseline, t, NULL)))
        goto fail;
    if (!sweep) {
        const size_t n = tyche_tornado_n(t);
        static const char *const fn[4] = {"p_low", "p_high", "swing", "swing_se"};
        static const int lo = 0, hi = 1;
        if (put(out, "parameter", names_list(n, torn_param, t)) ||
            put(out, "low_value", doubles(n, f_tornado_value, t, (void *)&lo)) ||
            put(out, "high_value", doubles(n, f_tornado_value, t, (void *)&hi)))
            goto fail;
        for (int f = 0; f < 4; f++) {
            sens_field sf = {ns, f};
            if (put(out, fn[f], doubles(n * ns, f_tornado, t, &sf))) goto fail;
        }
    } else {
        static const char *const fn[4] = {"probability", "stderr", "diff", "diff_se"};
        for (int f = 0; f < 4; f++) {
            sens_field sf = {ns, f};
            if (put(out, fn[f], doubles(tyche_sweep_n(t) * ns, f_sweep, t, &sf))) goto fail;
        }
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    tyche_sensitivity_free(t);
    for (size_t k = 0; vals && k < n_axes; k++) PyMem_Free(vals[k]);
    PyMem_Free(vals);
    PyMem_Free(counts);
    PyMem_Free(an);
    opts_free(&so);
    return out;
}

static PyObject *mod_tornado(PyObject *self, PyObject *args, PyObject *kw) {
    return sens_run(self, args, kw, 0);
}
static PyObject *mod_sweep(PyObject *self, PyObject *args, PyObject *kw) {
    return sens_run(self, args, kw, 1);
}

typedef struct {
    size_t d;
    int field, prob;
} sobol_field;

static void f_sobol(const void *t, size_t i, double *v, void *x) {
    const sobol_field *f = x;
    double a[3], b[3];
    if (f->prob) tyche_sobol_prob_index(t, i / f->d, i % f->d, a, b);
    else tyche_sobol_index(t, i / f->d, i % f->d, a, b);
    *v = f->field < 3 ? a[f->field] : b[f->field - 3];
}
static void f_sobol_rem(const void *t, size_t i, double *v, void *x) {
    const int which = *(const int *)x;
    uint64_t n_true, of;
    *v = which == 0   ? tyche_sobol_remainder(t, i)
         : which == 1 ? tyche_sobol_variance(t, i)
         : which == 2 ? tyche_sobol_prob_remainder(t, i)
         : which == 3 ? tyche_sobol_prob_variance(t, i)
                      : (tyche_sobol_prob_rare(t, i, &n_true, &of), (double)n_true);
}

static PyObject *mod_sobol(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *kwlist[] = {"path", "set", "as_of", "observed", "base", "seed", "threads",
                             "bootstrap", "outputs", "inner", NULL};
    const char *path, *as_of = NULL;
    PyObject *set = NULL, *observed = NULL, *outputs = NULL;
    unsigned long long base = 4096, seed = 1, inner = 128;
    int threads = 0, boot = 200;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|OzOKKiiOK", kwlist, &path, &set, &as_of,
                                     &observed, &base, &seed, &threads, &boot, &outputs, &inner))
        return NULL;
    sens_opts so;
    if (opts_get(set, as_of, observed, &so)) return NULL;
    const char **outs = NULL;
    size_t n_out = 0;
    PyObject *out = NULL;
    tyche_sobol *t = NULL;
    if (str_list(outputs, &outs, &n_out, "outputs")) goto done;
    volatile int cancel = 0;
    tyche_sobol_config cfg = {base, seed, threads, NULL, boot, outs, n_out, inner, &cancel};
    tyche_err e = {0};
    sobol_job job = {path, &so.o, &cfg, &e, NULL};
    const int w8 = wait_interruptibly(sobol_main, &job, &cancel);
    t = job.t;
    if (w8 != 0) {
        tyche_sobol_free(t);
        t = NULL;
        goto done;
    }
    if (t == NULL) {
        raise_err(&e);
        goto done;
    }
    const size_t nt = tyche_sobol_n_targets(t), d = tyche_sobol_n_params(t);
    const size_t nst = tyche_sobol_n_statements(t);
    static const char *const fn[6] = {"first_order", "first_order_low", "first_order_high",
                                      "total", "total_low", "total_high"};
    static const int w[5] = {0, 1, 2, 3, 4};
    if ((out = PyDict_New()) == NULL) goto done;
    if (put(out, "target", names_list(nt, sobol_target, t)) ||
        put(out, "parameter", names_list(d, sobol_param, t)) ||
        put(out, "remainder", doubles(nt, f_sobol_rem, t, (void *)&w[0])) ||
        put(out, "variance", doubles(nt, f_sobol_rem, t, (void *)&w[1])) ||
        put(out, "inner", PyLong_FromUnsignedLongLong(tyche_sobol_inner(t))) ||
        put(out, "n_statements", PyLong_FromSize_t(nst)))
        goto fail;
    for (int f = 0; f < 6; f++) {
        sobol_field sf = {d, f, 0};
        if (put(out, fn[f], doubles(nt * d, f_sobol, t, &sf))) goto fail;
    }
    if (tyche_sobol_inner(t) > 0 && nst > 0) {
        char name[32];
        for (int f = 0; f < 6; f++) {
            sobol_field sf = {d, f, 1};
            snprintf(name, sizeof name, "p_%s", fn[f]);
            if (put(out, name, doubles(nst * d, f_sobol, t, &sf))) goto fail;
        }
        if (put(out, "p_remainder", doubles(nst, f_sobol_rem, t, (void *)&w[2])) ||
            put(out, "p_variance", doubles(nst, f_sobol_rem, t, (void *)&w[3])) ||
            put(out, "p_true_trials", doubles(nst, f_sobol_rem, t, (void *)&w[4])))
            goto fail;
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    tyche_sobol_free(t);
    PyMem_Free(outs);
    opts_free(&so);
    return out;
}

static PyMethodDef module_methods[] = {
    {"tornado", (PyCFunction)(void (*)(void))mod_tornado, METH_VARARGS | METH_KEYWORDS,
     "tornado(path, set, as_of, observed, trials, seed, threads, low, high) -> dict"},
    {"sweep", (PyCFunction)(void (*)(void))mod_sweep, METH_VARARGS | METH_KEYWORDS,
     "sweep(path, set, as_of, observed, trials, seed, threads, names, values) -> dict"},
    {"sobol", (PyCFunction)(void (*)(void))mod_sobol, METH_VARARGS | METH_KEYWORDS,
     "sobol(path, set, as_of, observed, base, seed, threads, bootstrap, outputs, inner) -> dict"},
    {NULL, NULL, 0, NULL}};

/* ---- types and the module ------------------------------------------------------- */

static PyMethodDef Scenario_methods[] = {
    {"meta", (PyCFunction)Scenario_meta, METH_NOARGS, "names, units, priors, statements"},
    {"run", (PyCFunction)(void (*)(void))Scenario_run, METH_VARARGS | METH_KEYWORDS,
     "run(trials, seed, threads, store, sampling, replicates, rng, progress) -> Results"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ScenarioType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tyche._tyche.Scenario",
    .tp_basicsize = sizeof(ScenarioObject),
    .tp_dealloc = (destructor)Scenario_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Scenario(path=None, text=None, name, set, as_of, observed)",
    .tp_methods = Scenario_methods,
    .tp_init = (initproc)Scenario_init,
    .tp_new = PyType_GenericNew,
};

static PyMethodDef Results_methods[] = {
    {"info", (PyCFunction)Results_info, METH_NOARGS, "the run's provenance"},
    {"column", (PyCFunction)Results_column, METH_VARARGS, "column(kind, i) -> bytes or None"},
    {"summary", (PyCFunction)Results_summary, METH_NOARGS, "the /summary numbers"},
    {"summary_json", (PyCFunction)Results_summary_json, METH_NOARGS, "the JSON summary"},
    {"to_hdf5", (PyCFunction)(void (*)(void))Results_to_hdf5, METH_VARARGS | METH_KEYWORDS,
     "writes the HDF5 file the command writes"},
    {"replay", (PyCFunction)Results_replay, METH_VARARGS, "replay(trial) -> dict of bytes"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ResultsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tyche._tyche.Results",
    .tp_basicsize = sizeof(ResultsObject),
    .tp_dealloc = (destructor)Results_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "the results of a run (made by Scenario.run)",
    .tp_methods = Results_methods,
};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "_tyche",
                                    "tyche's C library (use the tyche package)", -1, module_methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__tyche(void) {
    if (PyType_Ready(&ScenarioType) < 0 || PyType_Ready(&ResultsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moddef);
    if (m == NULL) return NULL;
    Py_INCREF(&ScenarioType);
    if (PyModule_AddObject(m, "Scenario", (PyObject *)&ScenarioType) < 0) {
        Py_DECREF(&ScenarioType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "version", tyche_version()) < 0 ||
        PyModule_AddIntConstant(m, "block_trials", TYCHE_BLOCK_TRIALS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
