/* The registry of model kinds: the one table that names them.  A new kind
 * is its file in src/models/ (a tyche_model_kind with designated
 * initializers) and one line here. */
#include <stdio.h>
#include <string.h>
#include "kind.h"

extern const tyche_model_kind tyche_model_option_exercise;
extern const tyche_model_kind tyche_model_exclusivity_window;
extern const tyche_model_kind tyche_model_revenue_slowdown;
extern const tyche_model_kind tyche_model_ishigami;
extern const tyche_model_kind tyche_model_formula;
extern const tyche_model_kind tyche_model_event;

static const tyche_model_kind *const kinds[] = {
    &tyche_model_option_exercise,
    &tyche_model_exclusivity_window,
    &tyche_model_revenue_slowdown,
    &tyche_model_ishigami,
    &tyche_model_formula,
    &tyche_model_event,
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

size_t tyche_model_kind_count(void) { return N_KINDS; }

const tyche_model_kind *tyche_model_kind_at(size_t i) { return i < N_KINDS ? kinds[i] : NULL; }

const tyche_model_kind *tyche_model_kind_find(const char *name) {
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
    return NULL;
}

void tyche_model_kinds_list(char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_KINDS && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", kinds[i]->name);
}
