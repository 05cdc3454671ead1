# Reference values for tests/test_srm.py: the Social Relations Model for round-robin family data
# (Kenny, Kashy & Cook, 2006, ch. 9) fitted by lavaan as fSRM 0.6 does (fSRM is not on this
# machine's package mirror, so its model syntax, buildSRMSyntaxLatent(), is written out below:
# family factor FE, actor factors A.<role>, partner factors P.<role>, relationship factors
# R.<actor>.<partner>, every loading fixed to 1; generalized reciprocity A.i ~~ P.i; dyadic
# reciprocity R.i.j ~~ R.j.i; with one indicator the error variances are fixed to 0, with two the
# errors of the same indicator are correlated across all directed dyads; lavaan() with fSRM's
# options: orthogonal = TRUE, int.ov.free = TRUE, auto.var = TRUE, ...).
#
# Input : ../../../shared/data/cook2000_three_person/data.csv (Cook, 2000; 208 families, roles
#         m, f, y; see its SOURCE.md).
# Output (written here, in tests/reference):
#   srm_four_data.csv  simulated four-member round-robin (set.seed(16031)): 300 families, roles
#                      f, m, o, y, two indicators y1, y2 (long: family.id, actor.id, partner.id,
#                      y1, y2); true variances family .20, actor .30/.25/.40/.35 (f/m/o/y),
#                      partner .15/.20/.10/.25, relationship .30, generalized reciprocity
#                      correlation .40, dyadic reciprocity correlation .30, error .20 (independent)
#   srm_four_missing.csv  the cells removed from srm_four_data.csv for the FIML fits
#                      (family.id, actor.id, partner.id, what: "row" = the whole row, or "y1"/"y2")
#   srm_params.csv     model, lhs, op, rhs, est, se, z, pvalue, std_all (every free parameter,
#                      parameterEstimates(standardized = TRUE); FIML models also the intercepts ~1)
#   srm_fit.csv        model, npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, ntotal (fitMeasures;
#                      for a BFGS-polished fit, cfi and tli of the unpolished one; four_2_fiml has
#                      no cfi/tli: lavaan's FIML baseline model fails there)
#   srm_shares.csv     model, dyad, family, actor, partner, relationship, error (fSRM's
#                      percTable()$raw / SUM: each component's share of the dyad's variance; error
#                      is the mean of the indicators' error variances)
# Models: cook3_2 (three members, anx1 + anx2, no family factor: fSRM's default, KKC's EQS model),
#         cook3_2_wishart (the same with likelihood = "wishart": EQS's N - 1 conventions),
#         cook3_1 (anx1 only, no family factor), four_2 (simulated, y1 + y2, family factor),
#         four_1 (simulated, y1 only, family factor); four_2_fiml and four_1_fiml (the same on the
#         incomplete table, missing = "ml": FIML with a mean structure, observed information).
# The three-member model WITH a family factor is not identified (fSRM drops it by default): its
# information matrix is singular, shown at the end of srm.Rout.
#
# Run from tests/reference:  R CMD BATCH --no-save --no-restore srm.R   (writes srm.Rout)

suppressPackageStartupMessages(library(lavaan))
cat("lavaan", as.character(packageVersion("lavaan")), "\n")

srm_syntax <- function(roles, ind, family = TRUE) {
  dy <- function(a, p) paste(a, p, sep = "_")
  pairs <- expand.grid(p = roles, a = roles, stringsAsFactors = FALSE)[, c("a", "p")]
  pairs <- pairs[pairs$a != pairs$p, ]
  ov <- function(a, p) paste0("1*", dy(a, p), "_", ind)
  lines <- c()
  lines <- c(lines, paste("FE =~", paste(unlist(lapply(ind, function(v)
    paste0("1*", dy(pairs$a, pairs$p), "_", v))), collapse = " + ")))
  for (r in roles) lines <- c(lines, paste0("A.", r, " =~ ", paste(unlist(lapply(ind, function(v)
    paste0("1*", dy(r, roles[roles != r]), "_", v))), collapse = " + ")))
  for (r in roles) lines <- c(lines, paste0("P.", r, " =~ ", paste(unlist(lapply(ind, function(v)
    paste0("1*", dy(roles[roles != r], r), "_", v))), collapse = " + ")))
  for (k in seq_len(nrow(pairs))) lines <- c(lines, paste0("R.", pairs$a[k], ".", pairs$p[k],
    " =~ ", paste(ov(pairs$a[k], pairs$p[k]), collapse = " + ")))
  for (r in roles) lines <- c(lines, paste0("A.", r, " ~~ P.", r))
  for (i in seq_along(roles)) for (j in seq_along(roles)) if (i < j)
    lines <- c(lines, paste0("R.", roles[i], ".", roles[j], " ~~ R.", roles[j], ".", roles[i]))
  if (!family) lines <- c(lines, "FE ~~ 0*FE")
  if (length(ind) == 1) {
    m <- paste0(dy(pairs$a, pairs$p), "_", ind)
    lines <- c(lines, paste0(m, " ~~ 0*", m))
  } else {
    for (v in ind) {
      m <- paste0(dy(pairs$a, pairs$p), "_", v)
      for (x in seq_along(m)) for (y in seq_along(m)) if (x < y)
        lines <- c(lines, paste0(m[x], " ~~ ", m[y]))
    }
  }
  paste(lines, collapse = "\n")
}

wide <- function(long, ind, family = "family.id") {
  out <- NULL
  for (v in ind) {
    long$dy <- paste(long$actor.id, long$partner.id, v, sep = "_")
    w <- reshape(long[, c(family, "dy", v)], idvar = family, timevar = "dy", direction = "wide",
                 v.names = v, sep = "")
    names(w) <- sub(paste0("^", v), "", names(w))
    out <- if (is.null(out)) w else merge(out, w, by = family)
  }
  out
}

fit_srm <- function(long, roles, ind, family, likelihood = "normal", missing = "listwise") {
  dat <- wide(long, ind)
  fit <- function(...) lavaan(srm_syntax(roles, ind, family), data = dat, std.ov = FALSE,
    orthogonal = TRUE, fixed.x = FALSE, int.ov.free = TRUE, int.lv.free = FALSE,
    auto.fix.first = FALSE, auto.fix.single = TRUE, auto.var = TRUE, auto.cov.lv.x = TRUE,
    auto.cov.y = TRUE, likelihood = likelihood, missing = missing, ...)
  # a tight tolerance for more digits (lavaan's default rel.tol 1e-10 leaves max |gradient| up to
  # ~3e-6); where nlminb reports non-convergence at 1e-13, the default fit is polished by BFGS
  # (reltol 1e-16) from its own solution
  out <- suppressWarnings(fit(control = list(rel.tol = 1e-13, iter.max = 10000, eval.max = 20000)))
  if (lavInspect(out, "converged")) return(out)
  out <- fit()
  polished <- suppressWarnings(fit(start = out, optim.method = "BFGS",
                                   control = list(reltol = 1e-16, maxit = 10000)))
  grad <- function(f) max(abs(lavInspect(f, "gradient")))
  if (!lavInspect(polished, "converged") || grad(polished) >= grad(out)) return(out)
  attr(polished, "unpolished") <- out  # a refit from start values has no baseline model (CFI, TLI)
  polished
}

shares <- function(fit, roles, ind, name) {
  pe <- parameterEstimates(fit)
  val <- function(l, r = l) {
    v <- pe$est[pe$lhs == l & pe$op == "~~" & pe$rhs == r]
    if (length(v) == 0) 0 else v
  }
  out <- NULL
  for (a in roles) for (p in roles) if (a != p) {
    err <- mean(sapply(ind, function(v) val(paste(a, p, v, sep = "_"))))
    comp <- c(val("FE"), val(paste0("A.", a)), val(paste0("P.", p)), val(paste0("R.", a, ".", p)), err)
    out <- rbind(out, data.frame(model = name, dyad = paste0(a, "->", p),
                                 family = comp[1] / sum(comp), actor = comp[2] / sum(comp),
                                 partner = comp[3] / sum(comp), relationship = comp[4] / sum(comp),
                                 error = comp[5] / sum(comp)))
  }
  out
}

# --- the simulated four-member families ----------------------------------------------------
set.seed(16031)
roles4 <- c("f", "m", "o", "y")
n4 <- 300
fam_sd <- sqrt(.20)
act_var <- c(f = .30, m = .25, o = .40, y = .35)
prt_var <- c(f = .15, m = .20, o = .10, y = .25)
long4 <- NULL
FE <- rnorm(n4, 0, fam_sd)
AP <- list()
for (r in roles4) {
  z1 <- rnorm(n4); z2 <- rnorm(n4)
  a <- sqrt(act_var[r]) * z1
  p <- sqrt(prt_var[r]) * (.40 * z1 + sqrt(1 - .40^2) * z2)
  AP[[r]] <- cbind(a, p)
}
R <- list()
for (i in 1:3) for (j in (i + 1):4) {
  z1 <- rnorm(n4); z2 <- rnorm(n4)
  R[[paste(roles4[i], roles4[j])]] <- sqrt(.30) * z1
  R[[paste(roles4[j], roles4[i])]] <- sqrt(.30) * (.30 * z1 + sqrt(1 - .30^2) * z2)
}
for (a in roles4) for (p in roles4) if (a != p) {
  true <- 3 + FE + AP[[a]][, 1] + AP[[p]][, 2] + R[[paste(a, p)]]
  long4 <- rbind(long4, data.frame(family.id = seq_len(n4), actor.id = a, partner.id = p,
                                   y1 = true + rnorm(n4, 0, sqrt(.20)),
                                   y2 = true + rnorm(n4, 0, sqrt(.20))))
}
long4 <- long4[order(long4$family.id, long4$actor.id, long4$partner.id), ]
write.csv(long4, "srm_four_data.csv", row.names = FALSE)

# incomplete families for FIML (set.seed(16032)): 25 directed-dyad rows removed, 40 y1 and 60 y2
# values set missing; the removed cells are written to srm_four_missing.csv (what = "row", "y1",
# "y2") so that the test rebuilds the same incomplete table from srm_four_data.csv
set.seed(16032)
gone <- sample(nrow(long4), 25)
na1 <- sample(setdiff(seq_len(nrow(long4)), gone), 40)
na2 <- sample(setdiff(seq_len(nrow(long4)), gone), 60)
miss <- rbind(data.frame(long4[gone, 1:3], what = "row"), data.frame(long4[na1, 1:3], what = "y1"),
              data.frame(long4[na2, 1:3], what = "y2"))
write.csv(miss, "srm_four_missing.csv", row.names = FALSE)
long4m <- long4
long4m$y1[na1] <- NA
long4m$y2[na2] <- NA
long4m <- long4m[-gone, ]

# --- fits ------------------------------------------------------------------------------------
cook <- read.csv("../../../shared/data/cook2000_three_person/data.csv")
roles3 <- sort(unique(cook$actor.id))
fits <- list(
  cook3_2 = list(fit_srm(cook, roles3, c("anx1", "anx2"), FALSE), roles3, c("anx1", "anx2")),
  cook3_2_wishart = list(fit_srm(cook, roles3, c("anx1", "anx2"), FALSE, "wishart"), roles3,
                         c("anx1", "anx2")),
  cook3_1 = list(fit_srm(cook, roles3, "anx1", FALSE), roles3, "anx1"),
  four_2 = list(fit_srm(long4, roles4, c("y1", "y2"), TRUE), roles4, c("y1", "y2")),
  four_1 = list(fit_srm(long4, roles4, "y1", TRUE), roles4, "y1"),
  four_2_fiml = list(fit_srm(long4m, roles4, c("y1", "y2"), TRUE, missing = "ml"), roles4,
                     c("y1", "y2")),
  four_1_fiml = list(fit_srm(long4m, roles4, "y1", TRUE, missing = "ml"), roles4, "y1")
)

params <- NULL
fitm <- NULL
shr <- NULL
for (name in names(fits)) {
  fit <- fits[[name]][[1]]
  cat("\n==== ", name, ": converged ", lavInspect(fit, "converged"), ", iterations ",
      lavInspect(fit, "iterations"), ", ", lavInspect(fit, "options")$optim.method,
      ", max |gradient| ", signif(max(abs(lavInspect(fit, "gradient"))), 3), "\n", sep = "")
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe <- pe[!is.na(pe$z), ]  # free parameters (fixed ones have no z); with FIML also intercepts
  params <- rbind(params, data.frame(model = name, lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                                     est = pe$est, se = pe$se, z = pe$z, pvalue = pe$pvalue,
                                     std_all = pe$std.all))
  fm <- fitMeasures(fit, c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr",
                           "ntotal"))
  if (is.na(fm["cfi"]) && !is.null(attr(fit, "unpolished")))
    fm[c("cfi", "tli")] <- fitMeasures(attr(fit, "unpolished"), c("cfi", "tli"))
  print(round(fm, 6))
  fitm <- rbind(fitm, data.frame(model = name, as.list(unclass(fm))))
  shr <- rbind(shr, shares(fit, fits[[name]][[2]], fits[[name]][[3]], name))
  print(pe[pe$op == "~~" & !grepl("_", pe$lhs), c("lhs", "op", "rhs", "est", "se", "std.all")],
        digits = 6)
}
write.csv(params, "srm_params.csv", row.names = FALSE)
write.csv(fitm, "srm_fit.csv", row.names = FALSE)
write.csv(shr, "srm_shares.csv", row.names = FALSE)

# --- identification: three members with a family factor ------------------------------------
# lavaan's default tolerance, warnings shown; the smallest eigenvalues of the information matrix
# (zero: the model is not identified)
for (ind in list(c("anx1", "anx2"), "anx1")) {
  cat("\n==== three members,", paste(ind, collapse = " + "), "WITH a family factor\n")
  dat <- wide(cook, ind)
  fam3 <- withCallingHandlers(
    lavaan(srm_syntax(roles3, ind, TRUE), data = dat, std.ov = FALSE, orthogonal = TRUE,
           fixed.x = FALSE, int.ov.free = TRUE, int.lv.free = FALSE, auto.fix.first = FALSE,
           auto.fix.single = TRUE, auto.var = TRUE, auto.cov.lv.x = TRUE, auto.cov.y = TRUE),
    warning = function(w) {
      cat("lavaan warning:", conditionMessage(w), "\n")
      invokeRestart("muffleWarning")
    })
  cat("npar", fitMeasures(fam3, "npar"), "\n")
  ev <- eigen(lavInspect(fam3, "information"), only.values = TRUE)$values
  cat("smallest eigenvalues of the information matrix:", signif(tail(ev, 3), 4), "\n")
}
sessionInfo()
