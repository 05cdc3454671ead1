# Reference values for tests/test_factor.py (src/analysis/psychometrics/), computed with psych.
#
# Input : tests/data/bfi.csv (psych::bfi, 2,800 rows; the 25 items A1..O5)
#         ../shared/data/openpsychometrics_ecr/data.csv (ECR, 51,491 rows; Q1..Q36, 0 = missing)
# Output: tests/reference/factor_efa_{loadings,communalities,variance,phi,fit}.csv  psych::fa
#         tests/reference/factor_parallel_observed.csv   psych::fa.parallel observed eigenvalues
#         tests/reference/factor_parallel_suggested.csv  psych::fa.parallel nfact / ncomp by seed
#         tests/reference/factor_map.csv                 psych::VSS()$map (+ m = 0 and 4th power)
#         tests/reference/factor_omega{,_loadings,_communalities,_groups}.csv  psych::omega
#
# Run from the project root (R is only needed to remake the fixtures; tests never call R):
#   Rscript tests/reference/factor.R > tests/reference/factor.Rout 2>&1

suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
})
cat(R.version.string, "\n")
cat("psych", as.character(packageVersion("psych")),
    "; GPArotation", as.character(packageVersion("GPArotation")), "\n\n")

out_dir <- file.path("tests", "reference")
bfi_file <- file.path("tests", "data", "bfi.csv")
ecr_file <- file.path("..", "shared", "data", "openpsychometrics_ecr", "data.csv")
bfi <- read.csv(bfi_file)
ecr <- read.csv(ecr_file, na.strings = character(0))  # "NA" is Namibia in `country`
bfi_items <- bfi[, 1:25]
ecr_items <- ecr[, paste0("Q", 1:36)]
ecr_items[ecr_items == 0] <- NA  # SOURCE.md: 0 = missing
cat("bfi.csv:", nrow(bfi_items), "rows,", sum(is.na(bfi_items)), "missing item cells; md5",
    unname(tools::md5sum(bfi_file)), "\n")
cat("ECR data.csv:", nrow(ecr_items), "rows,", sum(is.na(ecr_items)), "missing item cells; md5",
    unname(tools::md5sum(ecr_file)), "\n\n")

# full precision in the written CSVs (R's default is 15 significant digits)
write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "", quote = FALSE)
  cat("wrote", file.path(out_dir, name), "\n")
}
stack_cases <- function(lst) do.call(rbind, lst)

# ---------------------------------------------------------------------------------------------
# 1. psych::fa(items, nfactors, fm, rotate) with psych defaults (use = "pairwise", SMC start,
#    n.obs = rows). Factors are written by position F1, F2, ... (psych's order after sorting by
#    variance accounted for); psych_factor keeps psych's own name (MR2, MR1, ...).
# ---------------------------------------------------------------------------------------------
efa_cases <- list(
  list(case = "bfi_5_minres_oblimin", x = bfi_items, nf = 5, fm = "minres", rotate = "oblimin"),
  list(case = "bfi_5_minres_varimax", x = bfi_items, nf = 5, fm = "minres", rotate = "varimax"),
  list(case = "bfi_5_minres_promax", x = bfi_items, nf = 5, fm = "minres", rotate = "promax"),
  list(case = "bfi_5_minres_none", x = bfi_items, nf = 5, fm = "minres", rotate = "none"),
  list(case = "bfi_5_ml_oblimin", x = bfi_items, nf = 5, fm = "ml", rotate = "oblimin"),
  list(case = "bfi_5_ml_varimax", x = bfi_items, nf = 5, fm = "ml", rotate = "varimax"),
  list(case = "bfi_5_ml_promax", x = bfi_items, nf = 5, fm = "ml", rotate = "promax"),
  list(case = "bfi_A_1_minres", x = bfi_items[, 1:5], nf = 1, fm = "minres", rotate = "oblimin"),
  # GPArotation warns "convergence not obtained in GPFoblq. 1000 iterations used." here
  list(case = "bfi_11_minres_oblimin", x = bfi_items, nf = 11, fm = "minres", rotate = "oblimin"),
  list(case = "ecr_2_minres_oblimin", x = ecr_items, nf = 2, fm = "minres", rotate = "oblimin"),
  list(case = "ecr_4_ml_promax", x = ecr_items, nf = 4, fm = "ml", rotate = "promax")
)
L <- C <- V <- P <- FT <- list()
for (k in efa_cases) {
  t0 <- proc.time()[["elapsed"]]
  f <- withCallingHandlers(
    fa(k$x, nfactors = k$nf, fm = k$fm, rotate = k$rotate),
    warning = function(w) {
      cat("  warning in", k$case, ":", conditionMessage(w), "\n")
      invokeRestart("muffleWarning")
    })
  secs <- proc.time()[["elapsed"]] - t0
  cat(sprintf("%-22s fa(nfactors = %d, fm = '%s', rotate = '%s'): %.2f s\n",
              k$case, k$nf, k$fm, k$rotate, secs))
  lam <- unclass(f$loadings)
  fnames <- paste0("F", seq_len(k$nf))
  L[[k$case]] <- data.frame(case = k$case, item = rep(rownames(lam), each = k$nf),
                            factor = rep(fnames, nrow(lam)),
                            psych_factor = rep(colnames(lam), nrow(lam)),
                            loading = as.vector(t(lam)))
  C[[k$case]] <- data.frame(case = k$case, item = rownames(lam), h2 = unname(f$communality),
                            u2 = unname(f$uniquenesses), complexity = unname(f$complexity))
  va <- f$Vaccounted
  if (k$nf == 1) {
    V[[k$case]] <- data.frame(case = k$case, factor = fnames, ss_loadings = va[1, ],
                              proportion = va[2, ], cumulative = va[2, ],
                              proportion_explained = 1, cumulative_explained = 1)
  } else {
    V[[k$case]] <- data.frame(case = k$case, factor = fnames, ss_loadings = va[1, ],
                              proportion = va[2, ], cumulative = va[3, ],
                              proportion_explained = va[4, ], cumulative_explained = va[5, ])
  }
  if (!is.null(f$Phi)) {
    P[[k$case]] <- data.frame(case = k$case, factor = rep(fnames, each = k$nf),
                              with_factor = rep(fnames, k$nf), correlation = as.vector(t(f$Phi)))
  }
  FT[[k$case]] <- data.frame(
    case = k$case, chi_square = f$STATISTIC, df = f$dof, p_value = f$PVAL,
    rmsea = f$RMSEA[["RMSEA"]], rmsea_low = f$RMSEA[["lower"]], rmsea_high = f$RMSEA[["upper"]],
    tli = f$TLI, bic = f$BIC, rms = f$rms, crms = f$crms, empirical_chi_square = f$chi,
    empirical_p_value = f$EPVAL, objective = f$objective, n_obs = f$n.obs, harmonic_n = f$nh)
  if (k$case == "bfi_5_minres_oblimin") print(f, digits = 4)
}
write_fixture(stack_cases(L), "factor_efa_loadings.csv")
write_fixture(stack_cases(C), "factor_efa_communalities.csv")
write_fixture(stack_cases(V), "factor_efa_variance.csv")
write_fixture(stack_cases(P), "factor_efa_phi.csv")
write_fixture(stack_cases(FT), "factor_efa_fit.csv")
cat("\n")

# ---------------------------------------------------------------------------------------------
# 2. psych::fa.parallel(items, n.iter = 20) (fm = "minres", fa = "both", quant = .95, SMC =
#    FALSE). Observed eigenvalues are deterministic (pc.values: eigen(R); fa.values: eigen of R
#    with one-factor minres communalities on the diagonal). The suggested numbers depend on the
#    random draws, so they are recorded for seeds 1..10; the simulated and resampled means of
#    seed 1 are kept to check that the Python draws have the same distribution. psych 2.2.9
#    decides with the 95% quantile of the eigenvalues of simulated normal data (values.ci),
#    not with their mean. fa.parallel draws inside parallel::mclapply, which by default forks
#    2 workers that reseed themselves (mc.set.seed = TRUE), so set.seed() alone does not make
#    it reproducible: mc.cores = 1 keeps the draws in this process.
# ---------------------------------------------------------------------------------------------
options(mc.cores = 1)
PO <- list()
for (k in list(list(case = "bfi", x = bfi_items), list(case = "ecr", x = ecr_items))) {
  set.seed(1)
  pa <- fa.parallel(k$x, n.iter = if (k$case == "bfi") 20 else 2, plot = FALSE)
  PO[[k$case]] <- data.frame(case = k$case, n_iter = if (k$case == "bfi") 20 else 2,
                             number = seq_along(pa$pc.values),
                             pc_observed = pa$pc.values, fa_observed = pa$fa.values,
                             pc_simulated = pa$pc.sim, pc_resampled = pa$pc.simr,
                             fa_simulated = pa$fa.sim, fa_resampled = pa$fa.simr)
}
write_fixture(stack_cases(PO), "factor_parallel_observed.csv")
PS <- list()
for (seed in 1:10) {
  set.seed(seed)
  pa <- fa.parallel(bfi_items, n.iter = 20, plot = FALSE)
  PS[[seed]] <- data.frame(case = "bfi", seed = seed, n_factors = pa$nfact,
                           n_components = pa$ncomp)
}
suggested <- stack_cases(PS)
print(suggested)
write_fixture(suggested, "factor_parallel_suggested.csv")
cat("\n")

# ---------------------------------------------------------------------------------------------
# 3. Velicer's MAP: psych::VSS(items, n = 8)$map (m = 1..8). map4 (4th powers; Velicer, Eaton &
#    Fava, 2000) and the m = 0 row are not in psych: they are computed here with psych's own
#    formula (sum of the off-diagonal partial correlations, squared or to the 4th power,
#    over p(p - 1)), which is checked to reproduce psych's map for m >= 1.
# ---------------------------------------------------------------------------------------------
map_by_hand <- function(r, m, power) {
  e <- eigen(r)
  comp <- e$vectors %*% diag(sqrt(e$values))
  c11 <- if (m == 0) r else r - comp[, 1:m, drop = FALSE] %*% t(comp[, 1:m, drop = FALSE])
  d <- diag(1 / sqrt(diag(c11)))
  rstar <- d %*% c11 %*% d
  diag(rstar) <- 0
  sum(rstar^power) / (ncol(r) * (ncol(r) - 1))
}
M <- list()
for (k in list(list(case = "bfi", x = bfi_items), list(case = "ecr", x = ecr_items))) {
  v <- VSS(k$x, n = 8, plot = FALSE)
  r <- cor(k$x, use = "pairwise")
  by_hand <- vapply(0:8, function(m) map_by_hand(r, m, 2), numeric(1))
  stopifnot(isTRUE(all.equal(by_hand[-1], v$map, tolerance = 1e-13)))
  M[[k$case]] <- data.frame(case = k$case, n_components = 0:8, map = c(by_hand[1], v$map),
                            map4 = vapply(0:8, function(m) map_by_hand(r, m, 4), numeric(1)))
  cat(k$case, ": VSS map minimum at", which.min(v$map), "components\n")
}
write_fixture(stack_cases(M), "factor_map.csv")
cat("\n")

# ---------------------------------------------------------------------------------------------
# 4. psych::omega(items, nfactors, fm = "minres") (rotate = "oblimin", flip = TRUE). For the
#    five agreeableness items psych's defaults are used (nfactors = 3); A1 is reversed first
#    (7 - A1) in case bfi_A_3, and left as it is in bfi_A_3_raw, where omega's flip reverses
#    it. psych warns of an ultra-Heywood case there and in ecr_3: in the one-factor fit to the
#    3 x 3 factor correlations (the general factor) a uniqueness sits on optim's 0.005 bound,
#    and where the search stops then depends on the L-BFGS-B version (R 2.3, SciPy 3.0), so
#    the g loadings of those cases agree with Python only to about 1e-4 (bfi_A_3) and 1e-3
#    (ecr_3); omega_total, alpha, h2 and u2 do not involve g and agree to rounding error.
# ---------------------------------------------------------------------------------------------
bfi_a_rev <- bfi_items[, 1:5]
bfi_a_rev$A1 <- 7 - bfi_a_rev$A1
omega_cases <- list(
  list(case = "bfi_5", x = bfi_items, nf = 5),
  list(case = "bfi_3", x = bfi_items, nf = 3),
  list(case = "bfi_A_3", x = bfi_a_rev, nf = 3),
  list(case = "bfi_A_3_raw", x = bfi_items[, 1:5], nf = 3),
  list(case = "ecr_3", x = ecr_items, nf = 3)
)
O <- OL <- OC <- OG <- list()
for (k in omega_cases) {
  o <- withCallingHandlers(
    omega(k$x, nfactors = k$nf, fm = "minres", plot = FALSE),
    warning = function(w) {
      cat("  warning in", k$case, ":", conditionMessage(w), "\n")
      invokeRestart("muffleWarning")
    })
  sl <- o$schmid$sl
  items <- colnames(k$x)
  fnames <- c("g", paste0("F", seq_len(k$nf)))
  O[[k$case]] <- data.frame(case = k$case, omega_total = o$omega.tot,
                            omega_hierarchical = o$omega_h, omega_asymptotic = o$omega.lim,
                            alpha = o$alpha, g6 = o$G6, ecv = unname(o$ECV))
  OL[[k$case]] <- data.frame(case = k$case, item = rep(items, each = k$nf + 1),
                             factor = rep(fnames, length(items)),
                             loading = as.vector(t(sl[, 1:(k$nf + 1)])))
  OC[[k$case]] <- data.frame(case = k$case, item = items, h2 = sl[, "h2"], u2 = sl[, "u2"],
                             p2 = sl[, "p2"], reversed = o$key < 0)
  OG[[k$case]] <- data.frame(case = k$case, factor = fnames, omega_total = o$omega.group$total,
                             omega_general = o$omega.group$general,
                             omega_group = o$omega.group$group)
  cat(sprintf(
    "%-12s omega(nfactors = %d): omega_t %.6f, omega_h %.6f, omega_lim %.6f, alpha %.6f\n",
    k$case, k$nf, o$omega.tot, o$omega_h, o$omega.lim, o$alpha))
}
write_fixture(stack_cases(O), "factor_omega.csv")
write_fixture(stack_cases(OL), "factor_omega_loadings.csv")
write_fixture(stack_cases(OC), "factor_omega_communalities.csv")
write_fixture(stack_cases(OG), "factor_omega_groups.csv")
cat("\n")
sessionInfo()
