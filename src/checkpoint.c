/* Checkpointed runs (tyche/checkpoint.h): claiming a run's folder, running
 * the parts it lacks, merging them, and removing the folder's own files
 * once the results are written.
 *
 * The claim, and what happens if ...
 *  - the folder holds files that are not tyche's and no DIR/args: it is
 *    someone else's; refused before the lock file is made, so a refusal
 *    leaves the folder as it was;
 *  - another run holds DIR/lock (an fcntl lock, gone with its process,
 *    whatever killed it): refused, naming the holder's pid and host;
 *  - the lock was taken just as a finishing run unlinked the lock file
 *    (and its folder): the inode of the locked file is not the one under
 *    the name; the folder is made again and the new lock file taken;
 *  - DIR/identity differs from this run's: refused, naming the first line
 *    that differs.  DIR/identity is written before DIR/args, so a folder
 *    with args always has its identity. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tyche/checkpoint.h"
#include "tyche/common.h"
#include "tyche/date.h"
#include "tyche/rng.h"
#include "json_util.h"
#ifdef TYCHE_MPI
#include <mpi.h>
#endif

struct tyche_checkpoint {
    int lock_fd;
};

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* This process's rank and the number of ranks (0 and 1 without MPI). */
static void world(int *rank, int *size) {
    *rank = 0;
    *size = 1;
#ifdef TYCHE_MPI
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) {
        MPI_Comm_rank(MPI_COMM_WORLD, rank);
        MPI_Comm_size(MPI_COMM_WORLD, size);
    }
#endif
}

int tyche_checkpoint_ranks_or(int mine) {
#ifdef TYCHE_MPI
    int rank, size;
    world(&rank, &size);
    if (size > 1) {
        int all = 0;
        MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_BOR, MPI_COMM_WORLD);
        return all;
    }
#endif
    return mine;
}

int tyche_checkpoint_ranks_root(int value) {
#ifdef TYCHE_MPI
    int rank, size;
    world(&rank, &size);
    if (size > 1) MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    return value;
}

/* ---- identity ---------------------------------------------------------------- */

char *tyche_checkpoint_identity(const tyche_checkpoint_spec *p) {
    char hash[65], as_of[11];
    tyche_scenario_hash(p->scenario, hash);
    tyche_date_format(tyche_scenario_as_of(p->scenario), as_of);
    size_t n = 1024;
    for (size_t k = 0; k < p->n_set; k++) n += strlen(p->set[k]) + 8;
    const char *obs = tyche_scenario_observed_flags(p->scenario);
    n += 2 * strlen(obs);
    char *t = tyche_malloc(n);
    if (t == NULL) return NULL;
    static const char *const store[] = {"none", "outputs", "paths"}, *const smp[] = {"mc", "lhs", "qmc"};
    size_t u = (size_t)snprintf(t, n,
                                "tyche_version %s\nstream_version %d\nscenario_sha256 %s\nas_of %s\nseed %llu\ntrials %llu\nrng %s\n"
                                "store %s\nsampling %s\nreplicates %llu\ncheckpoint_every %llu\n",
                                tyche_version(), TYCHE_STREAM_VERSION, hash, as_of, (unsigned long long)p->seed,
                                (unsigned long long)p->trials, p->rng ? p->rng : "philox", store[p->store],
                                smp[p->sampling],
                                p->sampling == TYCHE_SAMPLING_MC ? 0ULL : (unsigned long long)p->replicates,
                                (unsigned long long)p->every);
    for (size_t k = 0; k < p->n_set; k++) u += (size_t)snprintf(t + u, n - u, "set %s\n", p->set[k]);
    /* what the events did by as_of (--observed), a line each: they change the results */
    for (const char *q = obs; *q;) {
        const char *nl = strchr(q, '\n');
        u += (size_t)snprintf(t + u, n - u, "observed %.*s\n", (int)(nl - q), q);
        q = nl + 1;
    }
    return t;
}

/* The value of `key` in an identity (every line of it, joined by "; "). */
static void identity_value(const char *id, const char *key, char *buf, size_t len) {
    buf[0] = '\0';
    size_t used = 0;
    const size_t kl = strlen(key);
    for (const char *p = id; p && *p;) {
        const char *nl = strchr(p, '\n');
        const size_t ll = nl ? (size_t)(nl - p) : strlen(p);
        if (ll > kl && strncmp(p, key, kl) == 0 && p[kl] == ' ' && used + 4 < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? "; " : "", (int)(ll - kl - 1), p + kl + 1);
        p = nl ? nl + 1 : NULL;
    }
    if (used == 0) snprintf(buf, len, "(none)");
}

/* The first identity line that differs, as the refusal says it. */
static void identity_diff(const char *theirs, const char *mine, const char *idp, char *diff, size_t len,
                          int *scenario_changed) {
    static const char *const keys[] = {"tyche_version", "stream_version", "scenario_sha256", "as_of", "set", "seed",
                                       "trials", "rng", "store", "sampling", "replicates",
                                       "checkpoint_every", "observed"};
    static const char *const what[] = {"tyche version", "stream version (how draws are made: results of two versions do not mix)", "scenario (its text, by SHA-256)", "as-of date",
                                       "--set values", "seed", "trial count", "generator",
                                       "--store level", "sampling", "replicates", "--checkpoint-every",
                                       "--observed values"};
    char a[512] = "", b[512] = "";
    size_t k = 0;
    for (; k < sizeof keys / sizeof keys[0]; k++) {
        identity_value(theirs, keys[k], a, sizeof a);
        identity_value(mine, keys[k], b, sizeof b);
        if (strcmp(a, b) != 0) break;
    }
    if (k < sizeof keys / sizeof keys[0])
        snprintf(diff, len, "its %s is %s, this run's is %s", what[k], a, b);
    else /* beyond what the message can show (a long --set list) */
        snprintf(diff, len, "%s differs", idp);
    /* by name, not position: a key added before it once moved it */
    *scenario_changed = k < sizeof keys / sizeof keys[0] && strcmp(keys[k], "scenario_sha256") == 0;
}

/* ---- the claim ------------------------------------------------------------------ */

/* DIR's lock file, opened and locked (or, on a file system without locks,
 * only opened, with the warning said).  Returns TYCHE_OK with *fd_out. */
static tyche_status take_lock(const char *dir, char *warning, size_t wlen, int *fd_out, tyche_err *err) {
    char path[1200], holder[128] = "";
    snprintf(path, sizeof path, "%s/lock", dir);
    int fd = -1;
    for (int attempt = 0; attempt < 3 && fd < 0; attempt++) {
        fd = open(path, O_RDWR | O_CREAT, 0666);
        if (fd < 0) return tyche_err_set(err, TYCHE_EIO, "--checkpoint %s: cannot write in it: %s", dir, strerror(errno));
        struct flock lk;
        memset(&lk, 0, sizeof lk);
        lk.l_type = F_WRLCK;
        lk.l_whence = SEEK_SET;
        if (fcntl(fd, F_SETLK, &lk) != 0) {
            if (errno != EACCES && errno != EAGAIN) {
                /* a file system without locks (NFS without lockd, some Lustre mounts) */
                if (warning) snprintf(warning, wlen,
                         "warning: --checkpoint %s: cannot lock it here (%s): going on without the lock; "
                         "make sure no other run uses the folder", dir, strerror(errno));
                break;
            }
            const ssize_t got = pread(fd, holder, sizeof holder - 1, 0);
            holder[got > 0 ? got : 0] = '\0';
            char *nl = strchr(holder, '\n');
            if (nl) *nl = '\0';
            struct flock who = lk;
            const int known = fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK;
            close(fd);
            if (known && holder[0] == '\0') snprintf(holder, sizeof holder, "pid %ld", (long)who.l_pid);
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "--checkpoint %s: in use by another run (%s); wait for it to end or stop it",
                                 dir, holder[0] ? holder : "its pid unknown");
        }
        /* locked, but is it still the folder's lock file? */
        struct stat a, b;
        if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
            close(fd);
            fd = -1;
            if (mkdir(dir, 0777) != 0 && errno != EEXIST)
                return tyche_err_set(err, TYCHE_EIO, "--checkpoint %s: cannot create the folder: %s", dir,
                                     strerror(errno));
        }
    }
    if (fd < 0) return tyche_err_set(err, TYCHE_EIO, "--checkpoint %s: its lock file keeps being replaced", dir);
    *fd_out = fd;
    return TYCHE_OK;
}

/* DIR/identity, written whole under a temporary name, flushed and renamed
 * (tyche_write_text_file, which ends the text with the newline the identity
 * already has: it is given without it, so the file's bytes are the identity). */
static tyche_status write_identity(const char *path, const char *text, tyche_err *err) {
    size_t n = strlen(text);
    if (n && text[n - 1] == '\n') n--;
    char *body = tyche_malloc(n + 1);
    if (body) {
        memcpy(body, text, n);
        body[n] = '\0';
    }
    return tyche_write_text_file(path, body, "run's identity", err); /* takes body; NULL: ENOMEM */
}

/* Checks DIR/identity against mine, or (a new folder) records identity and
 * args. */
static tyche_status check_or_record(const char *dir, const char *mine, int resuming, tyche_write_fn write_args,
                                    const void *args_obj, tyche_err *err) {
    char args[1200], idp[1200];
    snprintf(args, sizeof args, "%s/args", dir);
    snprintf(idp, sizeof idp, "%s/identity", dir);
    const int has_args = exists(args);
    if (resuming && !has_args)
        return tyche_err_set(err, TYCHE_EINPUT, "--resume %s: the run is no longer there (it finished, or its "
                             "folder was emptied)", dir);
    if (!has_args) {
        /* written whole and renamed, but not through tyche_commit_files: its
         * rename defers signals (tyche_commit_renaming), which only a
         * command's results may do; a signal here must stop the run */
        tyche_status st = write_identity(idp, mine, err);
        if (st == TYCHE_OK) st = write_args(args_obj, args, err);
        return st;
    }
    FILE *f = fopen(idp, "rb");
    char *theirs = f ? tyche_malloc(65536) : NULL;
    const size_t got = theirs ? fread(theirs, 1, 65535, f) : 0;
    const int unreadable = f == NULL || ferror(f) || (theirs && !feof(f));
    if (theirs) theirs[got] = '\0';
    if (f) fclose(f);
    tyche_status st = TYCHE_OK;
    if (f && theirs == NULL) {
        st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    } else if (unreadable) {
        st = tyche_err_set(err, TYCHE_EINPUT, "--checkpoint %s: has the args of a run but no readable identity "
                           "(%s): made by an older tyche, or damaged; finish it with the tyche that started "
                           "it, or choose another folder", dir, idp);
    } else if (strcmp(theirs, mine) != 0) {
        char diff[1400];
        int scenario_changed;
        identity_diff(theirs, mine, idp, diff, sizeof diff, &scenario_changed);
        if (resuming)
            st = tyche_err_set(err, TYCHE_EINPUT, "--resume %s: not the run that started there (%s)%s", dir, diff,
                               scenario_changed ? ": the scenario file changed since" : "");
        else
            st = tyche_err_set(err, TYCHE_EINPUT, "--checkpoint %s: holds the parts of another run (%s); finish "
                               "that one with `tyche run --resume %s`, or choose another folder", dir, diff, dir);
    }
    free(theirs);
    return st;
}

tyche_status tyche_checkpoint_claim(const char *dir, const tyche_checkpoint_spec *spec, int resuming,
                                    tyche_write_fn write_args, const void *args_obj, tyche_tmp_swept_fn said,
                                    void *user, char *warning, size_t warning_len, tyche_checkpoint **out,
                                    tyche_err *err) {
    *out = NULL;
    if (warning && warning_len) warning[0] = '\0';
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return tyche_err_set(err, errno == ENOENT ? TYCHE_EINPUT : TYCHE_EIO,
                             "--checkpoint %s: cannot create the folder: %s", dir, strerror(errno));
    if (!tyche_is_folder(dir)) return tyche_err_set(err, TYCHE_EINPUT, "--checkpoint %s: is a file, not a folder", dir);
    /* a folder without args holds no run of tyche's: its files are not ours
     * to mix in or delete (looked at before the lock file is made) */
    char path[1200];
    snprintf(path, sizeof path, "%s/args", dir);
    if (!exists(path)) {
        DIR *d = opendir(dir);
        tyche_status st = TYCHE_OK;
        for (struct dirent *e = d ? readdir(d) : NULL; st == TYCHE_OK && e; e = readdir(d))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !tyche_checkpoint_own(e->d_name))
                st = tyche_err_set(err, TYCHE_EINPUT, "--checkpoint %s: holds other files (%s) and no run of "
                                   "tyche's: give a new or empty folder", dir, e->d_name);
        if (d) closedir(d);
        if (st != TYCHE_OK) return st;
    }
    tyche_checkpoint *c = tyche_calloc(1, sizeof *c);
    if (c == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    c->lock_fd = -1;
    tyche_status st = take_lock(dir, warning, warning_len, &c->lock_fd, err);
    char *mine = NULL;
    if (st == TYCHE_OK && (mine = tyche_checkpoint_identity(spec)) == NULL)
        st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    if (st == TYCHE_OK) st = check_or_record(dir, mine, resuming, write_args, args_obj, err);
    free(mine);
    if (st != TYCHE_OK) {
        tyche_checkpoint_release(c);
        return st;
    }
    /* ours now (a refused run changes nothing in the folder) */
    char host[256] = "", holder[320];
    gethostname(host, sizeof host - 1);
    const int hn = snprintf(holder, sizeof holder, "pid %ld on %s\n", (long)getpid(), host);
    if (ftruncate(c->lock_fd, 0) != 0 || pwrite(c->lock_fd, holder, (size_t)hn, 0) != hn) { /* the lock is what counts */ }
    tyche_tmp_sweep(dir, 1, said, user); /* parts a kill -9 cut short */
    *out = c;
    return TYCHE_OK;
}

void tyche_checkpoint_release(tyche_checkpoint *c) {
    if (c == NULL) return;
    if (c->lock_fd >= 0) close(c->lock_fd);
    free(c);
}

/* ---- parts ------------------------------------------------------------------------ */

uint64_t tyche_checkpoint_parts(uint64_t trials, uint64_t every) {
    const uint64_t blocks = trials / TYCHE_BLOCK_TRIALS + (trials % TYCHE_BLOCK_TRIALS != 0);
    return every ? (blocks + every - 1) / every : 0;
}

uint64_t tyche_checkpoint_part_trials(uint64_t trials, uint32_t i, uint32_t parts) {
    const uint64_t n_all = trials / TYCHE_BLOCK_TRIALS + (trials % TYCHE_BLOCK_TRIALS != 0);
    const uint64_t b0 = n_all * i / parts, b1 = n_all * (i + 1) / parts;
    return (b1 == n_all ? trials : b1 * TYCHE_BLOCK_TRIALS) - b0 * TYCHE_BLOCK_TRIALS;
}

/* The part files' names (NULL when out of memory; free with free_names). */
static char **part_names(const char *dir, uint32_t parts) {
    char path[1200];
    char **files = tyche_calloc(parts ? parts : 1, sizeof *files);
    for (uint32_t i = 0; files && i < parts; i++) {
        snprintf(path, sizeof path, "%s/part-%06u-of-%06u.h5", dir, i, parts);
        if ((files[i] = tyche_strdup(path)) == NULL) {
            for (uint32_t k = 0; k < i; k++) free(files[k]);
            free(files);
            files = NULL;
        }
    }
    return files;
}

static void free_names(char **files, uint32_t parts) {
    for (uint32_t i = 0; files && i < parts; i++) free(files[i]);
    free(files);
}

enum { FLAG_STOP = 1, FLAG_FAILED = 2 };

/* A part: its run streamed into its file (rows written while later blocks
 * simulate), as the writer of a one-file commit. */
typedef struct {
    const tyche_scenario *s;
    tyche_run_config cfg;   /* the part's shard of the run */
    int threads;            /* what ran it */
} part_job;

static tyche_status run_part(const void *obj, const char *tmp, tyche_err *err) {
    part_job *job = (part_job *)obj;
    uint64_t first = 0, count = 0;
    (void)tyche_run_range(&job->cfg, &first, &count);
    const tyche_h5_plan plan = {.store = job->cfg.store, .first_trial = first, .rows = count};
    const tyche_provenance prov = {"(checkpoint part)", "", 0, NULL, NULL};
    tyche_h5_writer *w = NULL;
    tyche_status st = tyche_h5_writer_open(job->s, &plan, &prov, tmp, &w, err);
    tyche_run_config cfg = job->cfg;
    if (cfg.store != TYCHE_STORE_NONE) {
        cfg.rows = tyche_h5_writer_rows;
        cfg.rows_user = w;
    }
    tyche_results *r = st == TYCHE_OK ? tyche_run(job->s, &cfg, err) : NULL;
    if (st == TYCHE_OK && r == NULL) {
        st = err ? err->code : TYCHE_ERUN;
        if (st == TYCHE_OK) st = TYCHE_ERUN;
    }
    if (r != NULL) {
        tyche_run_info info;
        tyche_results_info(r, &info);
        job->threads = info.threads;
        st = tyche_h5_writer_finish(w, r, err);
    }
    tyche_h5_writer_free(w);
    tyche_results_free(r);
    return st;
}

tyche_status tyche_checkpoint_run_parts(const tyche_scenario *s, const tyche_run_config *cfg, const char *dir,
                                        uint32_t parts, const volatile sig_atomic_t *stop, tyche_part_fn on_part,
                                        void *user, int *stopped, int *threads_used, tyche_err *err) {
    int rank, size;
    world(&rank, &size);
    *stopped = 0;
    char **files = part_names(dir, parts);
    uint32_t *todo = tyche_calloc((size_t)parts + 1, sizeof *todo);
    tyche_status st = files && todo ? TYCHE_OK : tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    uint32_t n_todo = 0;
    uint64_t done_trials = 0;
    for (uint32_t i = 0; st == TYCHE_OK && i < parts; i++) {
        if (!exists(files[i])) todo[n_todo++] = i;
        else done_trials += tyche_checkpoint_part_trials(cfg->trials, i, parts);
    }
#ifdef TYCHE_MPI
    /* rank 0's list: the others must not see a part that a fast rank has just written */
    if (size > 1) {
        if (tyche_checkpoint_ranks_or(st != TYCHE_OK ? FLAG_FAILED : 0)) {
            if (st == TYCHE_OK) st = tyche_err_set(err, TYCHE_ERUN, "another rank failed (its message says why)");
        } else {
            MPI_Bcast(&n_todo, 1, MPI_UINT32_T, 0, MPI_COMM_WORLD);
            MPI_Bcast(todo, (int)n_todo, MPI_UINT32_T, 0, MPI_COMM_WORLD);
            MPI_Bcast(&done_trials, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        }
    }
#endif
    const uint32_t R = (uint32_t)size, me = (uint32_t)rank;
    const uint32_t rounds = (n_todo + R - 1) / R;
    for (uint32_t round = 0; st == TYCHE_OK && round < rounds; round++) {
        if (tyche_checkpoint_ranks_or(*stop ? FLAG_STOP : 0) & FLAG_STOP) {
            *stopped = 1;
            break;
        }
        uint64_t round_trials = 0;
        int mine = -1;
        for (uint32_t q = 0; q < R; q++) {
            const uint32_t lo = (uint32_t)((uint64_t)n_todo * q / R), hi = (uint32_t)((uint64_t)n_todo * (q + 1) / R);
            if (lo + round >= hi) continue;
            round_trials += tyche_checkpoint_part_trials(cfg->trials, todo[lo + round], parts);
            if (q == me) mine = (int)todo[lo + round];
        }
        if (mine >= 0) {
            part_job job = {s, *cfg, 0};
            job.cfg.shard_index = (uint32_t)mine;
            job.cfg.shard_count = parts;
            if (on_part) on_part(user, done_trials, round_trials);
            /* the part runs inside its file's writer: whole or not at all */
            const tyche_result_file pf = {files[mine], run_part, &job};
            st = tyche_commit_files(&pf, 1, NULL, NULL, err);
            if (st == TYCHE_OK && job.threads > *threads_used) *threads_used = job.threads;
        }
        done_trials += round_trials;
        if (tyche_checkpoint_ranks_or(st != TYCHE_OK ? FLAG_FAILED : 0) && st == TYCHE_OK)
            st = tyche_err_set(err, TYCHE_ERUN, "another rank failed (its message says why)");
    }
    free_names(files, parts);
    free(todo);
    return st;
}

tyche_results *tyche_checkpoint_merge(const char *dir, uint32_t parts, tyche_progress_fn progress, void *user,
                                      tyche_err *err) {
    return tyche_checkpoint_merge_stream(dir, parts, progress, user, NULL, NULL, NULL, err);
}

tyche_results *tyche_checkpoint_merge_stream(const char *dir, uint32_t parts, tyche_progress_fn progress,
                                             void *user, tyche_merge_begin_fn begin, void *begin_user,
                                             tyche_scenario **s_out, tyche_err *err) {
    char **files = part_names(dir, parts);
    if (files == NULL) {
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        return NULL;
    }
    tyche_scenario *ms = NULL;
    tyche_results *merged =
        begin ? tyche_merge_shards_stream((const char *const *)files, parts, &ms, progress, user, begin, begin_user, err)
              : tyche_merge_shards_progress((const char *const *)files, parts, &ms, progress, user, err);
    if (s_out != NULL && merged != NULL) *s_out = ms;
    else tyche_scenario_free(ms);
    free_names(files, parts);
    return merged;
}

/* ---- the folder's own files ----------------------------------------------------------- */

int tyche_checkpoint_own(const char *name) {
    unsigned a, b;
    int n = 0;
    if (sscanf(name, "part-%6u-of-%6u.h5%n", &a, &b, &n) == 2 && n == 24 && strlen(name) >= 24 &&
        (name[24] == '\0' || strncmp(name + 24, ".tmp.", 5) == 0))
        return 1;
    static const char *const own[] = {"args", "identity", "lock"};
    for (size_t k = 0; k < 3; k++) {
        const size_t l = strlen(own[k]);
        if (strncmp(name, own[k], l) == 0 && (name[l] == '\0' || strncmp(name + l, ".tmp.", 5) == 0)) return 1;
    }
    return 0;
}

void tyche_checkpoint_remove(const char *dir) {
    char path[1200];
    DIR *d = opendir(dir);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
        if (tyche_checkpoint_own(e->d_name)) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d) closedir(d);
    static const char *const own[] = {"args", "identity", "lock"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, own[k]);
        unlink(path);
    }
    rmdir(dir);
}
