/* tyche: Monte Carlo forecasting engine.  The umbrella header. */
#ifndef TYCHE_H
#define TYCHE_H
#include "common.h"
#include "date.h"
#include "dist.h"
#include "engine.h"
#include "hazard.h"
#include "backtest.h"
#include "checkpoint.h"
#include "commit.h"
#include "forecast_log.h"
#include "io.h"
#include "rng.h"
#include "scenario.h"
#include "score.h"
#include "sensitivity.h"
#ifdef TYCHE_MPI
#include "mpi.h"
#endif
#endif
