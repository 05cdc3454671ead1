# Reference values for tests/test_multilevel.py: nlme::lme (REML/ML, random intercepts and
# slopes, corAR1/corCAR1 residuals, nested couple/person, two-intercept dyadic diary) and
# lme4::lmer (fixed effects, variance components, log-likelihood).
#
# Input : a small diary simulated here (seeded; written to multilevel_sim.csv so that tests run
#         without R or shared data) and ../../../shared/data/kashy_diary/data.csv (Kashy daily
#         diary; see its SOURCE.md; skipped when absent).
# Output: multilevel_sim.csv     the simulated diary (couple, person, role, day, x, w, y,
#                                x_within / x_between as computed here, x_lag1)
#         multilevel_fixed.csv   model, term, estimate, se, df, statistic, p_value
#         multilevel_random.csv  model, component, value (SDs, correlations, sigma, phi, rho,
#                                varIdent ratio)
#         multilevel_fit.csv     model, method, nobs, loglik
#
# Run (R is only needed to remake the fixtures; tests never call R):
#   cd tests/reference && R CMD BATCH --no-save --no-restore multilevel.R

suppressPackageStartupMessages({
  library(nlme)
  library(lme4)
})
cat(R.version.string, "\n")
cat("nlme", as.character(packageVersion("nlme")), " lme4", as.character(packageVersion("lme4")), "\n\n")

write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, name, row.names = FALSE, na = "", quote = FALSE)
}

# ---------------------------------------------------------------- simulated diary
set.seed(20261123)
n_couples <- 40
days <- 14
d <- expand.grid(day = 1:days, role = 1:2, couple = 1:n_couples)
d$person <- (d$couple - 1) * 2 + d$role
np <- 2 * n_couples
xm <- rnorm(np, 0, 0.8)
w <- rnorm(np)
u0 <- rnorm(np, 0, 0.6)
u1 <- rnorm(np, 0, 0.25)
cpl <- rnorm(n_couples, 0, 0.4)
d$x <- round(3 + xm[d$person] + rnorm(nrow(d), 0, 1), 1)
d$w <- round(w[d$person], 3)
# AR(1) residuals within person (phi = .4), correlated between partners on the same day (.3)
e <- matrix(0, np, days)
shared <- matrix(rnorm(n_couples * days), n_couples, days)
for (p in 1:np) {
  cpl_p <- (p + 1) %/% 2
  z <- sqrt(0.3) * shared[cpl_p, ] + sqrt(0.7) * rnorm(days)
  e[p, 1] <- z[1]
  for (t in 2:days) e[p, t] <- 0.4 * e[p, t - 1] + sqrt(1 - 0.16) * z[t]
}
d$e <- e[cbind(d$person, d$day)] * ifelse(d$role == 1, 0.8, 1.1)
pm_x <- ave(d$x, d$person)
d$y <- round(3 + 0.3 * d$role + 0.4 * (d$x - pm_x) + 0.2 * (pm_x - 3) + 0.3 * d$w +
               u0[d$person] + u1[d$person] * (d$x - pm_x) + cpl[d$couple] + d$e, 2)
d$e <- NULL
# gaps: ~10% of person-days missing, one person stops after day 9
drop <- runif(nrow(d)) < 0.10 | (d$person == 7 & d$day > 9)
d <- d[!drop, ]
# within/between decomposition: person mean of observed days; between centred at the mean of
# person means (each person counts once)
d$x_pm <- ave(d$x, d$person)
d$x_within <- d$x - d$x_pm
pms <- tapply(d$x, d$person, mean)
d$x_between <- d$x_pm - mean(pms)
d$x_pm <- NULL
# lag 1 within person respecting gaps: the previous calendar day, NA when that day is missing
key <- paste(d$person, d$day)
d$x_lag1 <- d$x[match(paste(d$person, d$day - 1), key)]
d$man <- as.numeric(d$role == 1)
d$woman <- as.numeric(d$role == 2)
d <- d[order(d$couple, d$person, d$day), c("couple", "person", "role", "day", "x", "w", "y",
                                             "x_within", "x_between", "x_lag1", "man", "woman")]
write_fixture(d, "multilevel_sim.csv")
cat("simulated diary:", nrow(d), "rows,", length(unique(d$person)), "persons\n\n")

fixed <- list(); random <- list(); fit <- list()

add_lme <- function(name, m) {
  tt <- summary(m)$tTable
  fixed[[name]] <<- data.frame(model = name, term = rownames(tt), estimate = tt[, 1], se = tt[, 2],
                               df = tt[, 3], statistic = tt[, 4], p_value = tt[, 5])
  comps <- c()
  re <- m$modelStruct$reStruct
  for (lev in names(re)) {
    vc <- as.matrix(re[[lev]]) * m$sigma^2
    sds <- sqrt(diag(vc))
    for (i in seq_along(sds)) comps[paste0(lev, ":sd:", colnames(vc)[i])] <- sds[i]
    if (ncol(vc) > 1) for (i in 1:(ncol(vc) - 1)) for (j in (i + 1):ncol(vc))
      comps[paste0(lev, ":cor:", colnames(vc)[i], ":", colnames(vc)[j])] <- vc[i, j] / (sds[i] * sds[j])
  }
  comps["sigma"] <- m$sigma
  cs <- m$modelStruct$corStruct
  if (!is.null(cs)) {
    v <- coef(cs, unconstrained = FALSE)
    comps[if (inherits(cs, "corCompSymm")) "rho" else "phi"] <- v
  }
  vs <- m$modelStruct$varStruct
  if (!is.null(vs)) {
    v <- coef(vs, unconstrained = FALSE)
    for (k in names(v)) comps[paste0("varident:", k)] <- v[k]
  }
  random[[name]] <<- data.frame(model = name, component = names(comps), value = unname(comps))
  fit[[name]] <<- data.frame(model = name, method = m$method, nobs = m$dims$N,
                             loglik = as.numeric(logLik(m)))
  cat("==== ", name, "\n"); print(summary(m)); cat("\n")
}

add_lmer <- function(name, m) {
  cf <- summary(m)$coefficients
  fixed[[name]] <<- data.frame(model = name, term = rownames(cf), estimate = cf[, 1], se = cf[, 2],
                               df = NA, statistic = cf[, 3], p_value = NA)
  vc <- as.data.frame(VarCorr(m))
  comp <- ifelse(is.na(vc$var1), "sigma",
                 ifelse(is.na(vc$var2), paste0(vc$grp, ":sd:", vc$var1),
                        paste0(vc$grp, ":cor:", vc$var1, ":", vc$var2)))
  random[[name]] <<- data.frame(model = name, component = comp, value = vc$sdcor)
  fit[[name]] <<- data.frame(model = name, method = if (isREML(m)) "REML" else "ML",
                             nobs = nobs(m), loglik = as.numeric(logLik(m)))
  cat("==== ", name, "\n"); print(summary(m)); cat("\n")
}

ctl <- lmeControl(maxIter = 500, msMaxIter = 500, niterEM = 100, tolerance = 1e-10,
                  msTol = 1e-12, returnObject = TRUE)
for (meth in c("REML", "ML")) {
  tag <- tolower(meth)
  add_lme(paste0("sim_empty_", tag), lme(y ~ 1, random = ~ 1 | person, data = d, method = meth, control = ctl))
  add_lme(paste0("sim_empty_nested_", tag),
          lme(y ~ 1, random = ~ 1 | couple / person, data = d, method = meth, control = ctl))
  add_lme(paste0("sim_ri_", tag), lme(y ~ x_within + x_between + w, random = ~ 1 | person, data = d,
                                      method = meth, control = ctl))
  add_lme(paste0("sim_rs_", tag), lme(y ~ x_within + x_between + w, random = ~ 1 + x_within | person,
                                      data = d, method = meth, control = ctl))
  add_lmer(paste0("sim_rs_lmer_", tag),
           lmer(y ~ x_within + x_between + w + (1 + x_within | person), data = d, REML = meth == "REML",
                control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))))
  add_lme(paste0("sim_rs_ar1_", tag),
          lme(y ~ x_within + x_between + w, random = ~ 1 + x_within | person,
              correlation = corCAR1(form = ~ day | person), data = d, method = meth, control = ctl))
}
# corAR1(form = ~ day | person) respects gaps in the integer day index: on the gapped data it
# gives the same fit as corCAR1 (both logLiks printed below). Also fitted on the persons
# without gaps (complete 14-day series), where every AR(1) definition agrees.
complete_p <- names(which(tapply(d$day, d$person, function(t) all(diff(t) == 1) && length(t) == days)))
dc <- d[d$person %in% as.integer(complete_p), ]
cat("persons without gaps:", length(complete_p), "\n")
add_lme("sim_ri_ar1_complete_reml", lme(y ~ x_within + x_between, random = ~ 1 | person,
                                        correlation = corAR1(form = ~ day | person), data = dc,
                                        control = ctl))
g1 <- lme(y ~ x_within, random = ~ 1 | person, correlation = corAR1(form = ~ day | person), data = d, control = ctl)
g2 <- lme(y ~ x_within, random = ~ 1 | person, correlation = corCAR1(form = ~ day | person), data = d, control = ctl)
cat("gapped data: corAR1 logLik", logLik(g1), " corCAR1 logLik", logLik(g2), "\n\n")

# couple-level random intercept plus person-level random intercept and slope (nested)
add_lme("sim_nested_rs_reml", lme(y ~ x_within + x_between + w,
                                  random = list(couple = ~ 1, person = ~ 1 + x_within),
                                  data = d, control = ctl))
add_lme("sim_nested_ar1_reml", lme(y ~ x_within + x_between + w,
                                   random = list(couple = ~ 1, person = ~ 1 + x_within),
                                   correlation = corAR1(form = ~ day | couple / person), data = d, control = ctl))
# two-intercept dyadic diary (Laurenceau & Bolger): role intercepts and slopes, correlated role
# random intercepts per couple, partners' same-day residuals correlated, role-specific variance
add_lme("sim_two_intercept_reml",
        lme(y ~ 0 + man + woman + man:x_within + woman:x_within, random = ~ 0 + man + woman | couple,
            correlation = corCompSymm(form = ~ 1 | couple / day), weights = varIdent(form = ~ 1 | role),
            data = d, control = ctl))
add_lme("sim_two_intercept_ml",
        lme(y ~ 0 + man + woman + man:x_within + woman:x_within, random = ~ 0 + man + woman | couple,
            correlation = corCompSymm(form = ~ 1 | couple / day), weights = varIdent(form = ~ 1 | role),
            data = d, method = "ML", control = ctl))

# ---------------------------------------------------------------- Kashy diary (shared data)
kfile <- file.path("..", "..", "..", "shared", "data", "kashy_diary", "data.csv")
if (file.exists(kfile)) {
  k <- read.csv(kfile)
  men <- k[k$person == 1, ]
  add_lme("kashy_men_growth", lme(satisf_A ~ 1 + time, random = ~ 1 + time | dyadid, data = men,
                                  na.action = na.omit, control = ctl))
  add_lme("kashy_men_avoid", lme(satisf_A ~ 1 + time * Cavoid_A, random = ~ 1 + time | dyadid, data = men,
                                 na.action = na.omit, control = ctl))
  add_lme("kashy_men_ar1", lme(satisf_A ~ 1 + time, random = ~ 1 | dyadid, data = men, na.action = na.omit,
                               correlation = corCAR1(form = ~ Day | dyadid), control = ctl))
  add_lme("kashy_two_intercept",
          lme(satisf_A ~ 0 + man + woman + man:time + woman:time, random = ~ 0 + man + woman | dyadid,
              correlation = corCompSymm(form = ~ 1 | dyadid / Day), weights = varIdent(form = ~ 1 | genderS),
              data = k, na.action = na.omit, control = ctl))
} else {
  cat("Kashy data not found at", kfile, ": Kashy fixtures skipped\n")
}

write_fixture(do.call(rbind, fixed), "multilevel_fixed.csv")
write_fixture(do.call(rbind, random), "multilevel_random.csv")
write_fixture(do.call(rbind, fit), "multilevel_fit.csv")
sessionInfo()
