/* Model kind `exclusivity_window` (P2): an exclusivity deal for a product on
 * one cloud, with an optional blocking event as a competing risk.
 *
 * The deal hazard is hx0 exp(beta_xz Z + beta_xe [exercised before t]): it
 * steps up at the exercise time taken from another model (an input named in
 * JSON), which is a breakpoint of the piecewise-constant hazard, so the
 * deal time is exact.  A blocking event (a renewed multi-cloud commitment,
 * hazard hb) competes: after it no deal can happen.  Given a deal, the
 * window lasts W ~ lognormal(log m_W, s_W) months.
 *
 * Streams: 0 the competing-risk draws (block 0: the Exp(1) and the cause's
 * uniform), 1 the window's normal (drawn on every trial so the numbers stay
 * aligned across what-if runs).  Simulated a block of trials at a time. */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include "../kind.h"
#include "../json_util.h"

enum { P_HX0, P_BETA_XE, P_BETA_XZ, P_M_W, P_S_W, P_HB, N_P };
enum { O_DEAL, O_WINDOW, O_BLOCKED, N_O };

static const tyche_param_spec params[N_P] = {
    {"hx0", "per year", "baseline hazard of an exclusivity deal", 0, INFINITY, 0, 0, 0},
    {"beta_xe", "1", "log-hazard step once the option is exercised", -INFINITY, INFINITY, 0, 0, 0},
    {"beta_xz", "1", "log-hazard loading on the common factor", -INFINITY, INFINITY, 0, 0, 0},
    {"m_W", "months", "median window length given a deal", 0, INFINITY, 1, 0, 0},
    {"s_W", "1", "log-sd of the window length", 0, INFINITY, 0, 0, 0},
    {"hb", "per year", "hazard of a blocking event (0: none)", 0, INFINITY, 0, 1, 0.0},
};

static const tyche_input_spec inputs[] = {
    {"exercise_time", "time the option is exercised (never, if not connected)", NULL, 0},
};

static const tyche_output_spec outputs[N_O] = {
    {"deal_time", TYCHE_OUTPUT_TIME, "", "time an exclusivity deal is made"},
    {"window_months", TYCHE_OUTPUT_VALUE, "months", "length of the exclusivity window, given a deal"},
    {"blocked_time", TYCHE_OUTPUT_TIME, "", "time a blocking event rules out a deal"},
};

typedef struct {
    double t_end; /* end of the horizon, days since start */
} cfg_t;

static tyche_status prepare(const tyche_model_setup *su, const void *settings, void **out,
                            tyche_model_layout *layout, tyche_err *err) {
    static const char *const keys[] = {NULL};
    char path[600];
    snprintf(path, sizeof path, "%s.settings", su->path);
    tyche_status st;
    if (settings && (st = tyche_json_check_keys(settings, keys, path, err))) return st;
    cfg_t *c = tyche_calloc(1, sizeof *c);
    if (c == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    c->t_end = (double)(su->horizon + 1 - su->start);
    /* the default outputs, no paths; with hb fixed at 0 nothing blocks a deal */
    if (su->priors && tyche_dist_is_fixed(&su->priors[P_HB]) && tyche_dist_mean(&su->priors[P_HB]) == 0.0)
        layout->never |= UINT64_C(1) << O_BLOCKED;
    *out = c;
    return TYCHE_OK;
}

/* Scratch for a block: TYCHE_LANES doubles each. */
typedef struct {
    double *mem; /* the one allocation (tyche_lane_columns) */
    double *h1, *h2, *e, *u, *w;
} ws_t;

static void ws_free(void *p) {
    ws_t *w = p;
    if (w == NULL) return;
    free(w->mem);
    free(w);
}

static void *ws_alloc(const void *vc) {
    (void)vc;
    ws_t *w = tyche_calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    double **cols[] = {&w->h1, &w->h2, &w->e, &w->u, &w->w};
    const size_t rows[] = {1, 1, 1, 1, 1};
    if ((w->mem = tyche_lane_columns(cols, rows, sizeof rows / sizeof rows[0])) == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

static inline __attribute__((always_inline)) void exclusivity_body(const void *vc,
                                                              tyche_model_block *b) {
    const cfg_t *c = vc;
    ws_t *w = b->ws;
    const size_t n = b->n, S = b->stride;
    const double *p = b->params;
    const tyche_vm_ops *vm = tyche_draws_vm(b->draws);
    for (size_t i = 0; i < n; i++) w->h1[i] = p[P_BETA_XZ * S + i] * b->z[i];
    vm->exp(n, w->h1, w->h1);
    vm->exp(n, p + P_BETA_XE * S, w->h2);
    /* stream 0, block 0: the competing risks' Exp(1) target and the uniform
     * that chooses the cause; stream 1: the window's normal */
    tyche_draws_uniform(b->draws, b->lanes, b->stream0 + 0, 0, w->e, w->u);
    vm->log(n, w->e, w->e);
    tyche_draws_normals(b->draws, b->lanes, b->stream0 + 1, 1, w->w, n);
    for (size_t i = 0; i < n; i++) w->w[i] = p[P_S_W * S + i] * w->w[i];
    vm->exp(n, w->w, w->w);
    for (size_t i = 0; i < n; i++) {
        const double te = b->inputs[0][i], hb = p[P_HB * S + i];
        const double h1 = p[P_HX0 * S + i] * w->h1[i], h2 = h1 * w->h2[i];
        /* two intervals, split at the exercise, when it falls inside the horizon */
        double t[3], h[4];
        size_t ni;
        if (te > 0 && te < c->t_end) {
            t[0] = 0, t[1] = te, t[2] = c->t_end;
            h[0] = h1, h[1] = h2, h[2] = hb, h[3] = hb;
            ni = 2;
        } else {
            t[0] = 0, t[1] = c->t_end;
            h[0] = te <= 0 ? h2 : h1, h[1] = hb;
            ni = 1;
        }
        int cause;
        const double time = tyche_hazard_competing_given(t, h, ni, 2, -w->e[i], w->u[i], &cause);
        double deal = cause == 0 ? time : INFINITY, blocked = cause == 1 ? time : INFINITY;
        /* observed events (as-of forecasts) replace the simulated ones */
        if (!isnan(b->fixed[O_BLOCKED])) {
            blocked = b->fixed[O_BLOCKED];
            if (deal > blocked) deal = INFINITY;
        }
        if (!isnan(b->fixed[O_DEAL])) {
            deal = b->fixed[O_DEAL];
            if (blocked < deal) blocked = INFINITY; /* a deal happened: nothing blocked it before */
        }
        b->out[O_DEAL * S + i] = deal;
        b->out[O_WINDOW * S + i] = isfinite(deal) ? p[P_M_W * S + i] * w->w[i] : NAN;
        b->out[O_BLOCKED * S + i] = blocked;
    }
}

TYCHE_BLOCK_FN(exclusivity_block, exclusivity_body)

const tyche_model_kind tyche_model_exclusivity_window = {
    .name = "exclusivity_window",
    .description =
        "an exclusivity deal whose hazard steps up at another model's event, with a blocking risk",
    .params = params,
    .n_params = N_P,
    .inputs = inputs,
    .n_inputs = sizeof inputs / sizeof inputs[0],
    .outputs = outputs,
    .n_outputs = N_O,
    .n_streams = 2, /* 0: the deal and the block, 1: the window */
    .prepare = prepare,
    .cfg_free = free,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .simulate_block = exclusivity_block,
};
