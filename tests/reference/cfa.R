# Reference values for tests/test_cfa.py (analysis.sem), computed with lavaan (+ semTools).
#
# Input : tests/data/bfi.csv                          (psych::bfi, 2,800 rows)
#         ../shared/data/openpsychometrics_ecr/data.csv (ECR, 51,491 rows; 0 = missing)
#         ../shared/data/dysem_prqcQ/data.csv          (PRQC, 118 couples, dyad/wide format)
# Output: tests/reference/cfa_fit.csv     fitMeasures() of every model below, one row per model
#         tests/reference/cfa_params.csv  parameterEstimates(standardized = TRUE) of every model
#                                         (+ `free` from parTable(): 0 = fixed)
#         tests/reference/cfa_lrt.csv     lavTestLRT() of each invariance sequence
#
# Run from the project root (R is only needed to remake the fixtures; tests never call R):
#   Rscript tests/reference/cfa.R > tests/reference/cfa.Rout 2>&1

suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
})
cat(R.version.string, "\n")
cat("lavaan", as.character(packageVersion("lavaan")), "; semTools",
    as.character(packageVersion("semTools")), "\n\n")

out_dir <- file.path("tests", "reference")
shared <- file.path("..", "shared", "data")

# full precision in the written CSVs (R's default is 15 significant digits)
write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "", quote = FALSE)
  cat("wrote", file.path(out_dir, name), "\n")
}

FIT <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
         "srmr", "aic", "bic", "ntotal", "logl", "npar", "baseline.chisq", "baseline.df")
fits <- list()
params <- list()
keep <- function(name, fit) {
  fm <- fitMeasures(fit, FIT)
  cat("\n==", name, "==  converged:", lavInspect(fit, "converged"), "\n")
  print(fm, digits = 10)
  fits[[name]] <<- data.frame(model = name, t(unclass(fm)), check.names = FALSE)
  pe <- parameterEstimates(fit, standardized = TRUE, remove.eq = TRUE, remove.ineq = TRUE,
                           remove.def = TRUE, remove.system.eq = TRUE)
  pt <- parTable(fit)
  if (is.null(pe$group)) pe$group <- 1L
  if (is.null(pt$group)) pt$group <- 1L
  pe <- merge(pe, pt[, c("lhs", "op", "rhs", "group", "free")], sort = FALSE)
  labels <- lavInspect(fit, "group.label")
  pe$group_label <- if (length(labels)) labels[pe$group] else ""
  params[[name]] <<- data.frame(model = name, pe[, c("group_label", "lhs", "op", "rhs", "free",
                                                      "est", "se", "z", "pvalue", "std.all")])
}

# ---------------------------------------------------------------------------------------------
# 1. bfi: two correlated factors, Agreeableness A1..A5 (A1 is negatively keyed and left raw:
#    its loading is simply negative) and Conscientiousness C1..C5 (C4, C5 negative).
#    Marker-variable identification (lavaan's default), then std.lv = TRUE; listwise and FIML.
# ---------------------------------------------------------------------------------------------
bfi <- read.csv(file.path("tests", "data", "bfi.csv"))
cat("bfi.csv:", nrow(bfi), "rows; md5", unname(tools::md5sum(file.path("tests", "data", "bfi.csv"))),
    "\n")
m_bfi <- "agree =~ A1 + A2 + A3 + A4 + A5
          consc =~ C1 + C2 + C3 + C4 + C5"
keep("bfi_listwise", cfa(m_bfi, data = bfi, estimator = "ML", missing = "listwise"))
keep("bfi_stdlv", cfa(m_bfi, data = bfi, estimator = "ML", std.lv = TRUE))
keep("bfi_fiml", cfa(m_bfi, data = bfi, estimator = "ML", missing = "ml"))
# FIML on complete rows: same estimates as listwise, but lavaan's missing = "ml" adds a mean
# structure and uses the observed (not expected) information for standard errors
bfi_items <- c(paste0("A", 1:5), paste0("C", 1:5))
keep("bfi_fiml_complete", cfa(m_bfi, data = bfi[complete.cases(bfi[bfi_items]), ],
                              estimator = "ML", missing = "ml"))

# ---------------------------------------------------------------------------------------------
# 2. Measurement invariance of the bfi model by gender (1 = male, 2 = female; lavaan orders
#    groups by first appearance, so group 1 = "1"): configural, metric (loadings), scalar
#    (loadings + intercepts), then lavTestLRT; listwise and FIML.
# ---------------------------------------------------------------------------------------------
lrt <- list()
for (miss in c("listwise", "ml")) {
  tag <- if (miss == "ml") "mi_fiml_" else "mi_"
  conf <- cfa(m_bfi, data = bfi, group = "gender", missing = miss)
  metr <- cfa(m_bfi, data = bfi, group = "gender", missing = miss, group.equal = "loadings")
  scal <- cfa(m_bfi, data = bfi, group = "gender", missing = miss,
              group.equal = c("loadings", "intercepts"))
  keep(paste0(tag, "configural"), conf)
  keep(paste0(tag, "metric"), metr)
  keep(paste0(tag, "scalar"), scal)
  tab <- lavTestLRT(conf, metr, scal)
  print(tab)
  lrt[[tag]] <- data.frame(set = sub("_$", "", tag), level = c("configural", "metric", "scalar"),
                           chisq_diff = tab[["Chisq diff"]], df_diff = tab[["Df diff"]],
                           pvalue = tab[["Pr(>Chisq)"]])
  if (miss == "listwise") {
    # std.lv = TRUE with equal loadings and intercepts: lavaan fixes the latent variances (means)
    # to 1 (0) in the first group only and frees them in the second
    keep("mi_stdlv_scalar", cfa(m_bfi, data = bfi, group = "gender", std.lv = TRUE,
                                group.equal = c("loadings", "intercepts")))
    # the same comparison through semTools (delta CFI / RMSEA are differences of fitMeasures)
    print(summary(compareFit(conf, metr, scal, nested = TRUE)))
  }
}

# ---------------------------------------------------------------------------------------------
# 3. ECR (Brennan et al., 1998), 36 items on 1-5 with 0 = missing: avoidance = odd items,
#    anxiety = even items, raw (reverse-keyed items simply load negatively). Listwise and FIML.
#    (58 rows with every item missing are dropped by lavaan under FIML: n = 51,433.)
# ---------------------------------------------------------------------------------------------
ecr <- read.csv(file.path(shared, "openpsychometrics_ecr", "data.csv"), na.strings = character(0))
q <- paste0("Q", 1:36)
for (v in q) ecr[[v]][ecr[[v]] == 0] <- NA
m_ecr <- paste("avoidance =~", paste(q[seq(1, 36, 2)], collapse = " + "), "\n",
               "anxiety =~", paste(q[seq(2, 36, 2)], collapse = " + "))
tm <- system.time(f_ecr <- cfa(m_ecr, data = ecr[q], estimator = "ML"))
cat("\nECR listwise cfa() time (s):", tm[["elapsed"]], "\n")
keep("ecr_listwise", f_ecr)
tm <- system.time(f_ecr_ml <- suppressWarnings(cfa(m_ecr, data = ecr[q], estimator = "ML",
                                                     missing = "ml")))
cat("\nECR FIML cfa() time (s):", tm[["elapsed"]], "\n")
keep("ecr_fiml", f_ecr_ml)

# ---------------------------------------------------------------------------------------------
# 4. Dyadic invariance (dySEM approach, Sakaluk et al., 2021), PRQC couples in wide format:
#    satisfaction (items 1-3) and commitment (items 4-6) for partner 1 and partner 2, written
#    out as dySEM::scriptCFA(scaleset = "FF") does: latent variances fixed to 1 and means to 0
#    (configural), all four factors correlated, each item's residual correlated with the same
#    item of the partner. Loading invariance: loadings equal across partners and partner 2's
#    latent variances freed; intercept invariance: intercepts equal too and partner 2's latent
#    means freed. Listwise (lavaan's default) and FIML.
# ---------------------------------------------------------------------------------------------
prqc <- read.csv(file.path(shared, "dysem_prqcQ", "data.csv"), check.names = FALSE)
names(prqc) <- sub("prqc\\.([12])_", "prqc\\1_", names(prqc))   # prqc.1_1 -> prqc1_1
dyad_model <- function(level) {
  eqL <- level %in% c("loading", "intercept")
  eqI <- level == "intercept"
  lines <- character(0)
  for (f in list(c("sat", 1:3), c("com", 4:6))) {
    name <- f[1]; items <- f[-1]
    for (p in 1:2) {
      # NA* frees the first loading; a label alone would keep lavaan's marker fixed at 1
      lam <- if (eqL) paste0("l", name, items, "*") else rep("NA*", 3)
      rhs <- paste0(lam, "prqc", p, "_", items, collapse = " + ")
      if (eqL) rhs <- paste0("NA*prqc", p, "_", items[1], " + ", rhs)
      lines <- c(lines, paste0(name, p, " =~ ", rhs))
      var_fixed <- p == 1 || !eqL
      lines <- c(lines, paste0(name, p, " ~~ ", if (var_fixed) "1*" else "NA*", name, p))
      mean_fixed <- p == 1 || !eqI
      lines <- c(lines, paste0(name, p, " ~ ", if (mean_fixed) "0*" else "NA*", "1"))
      int <- if (eqI) paste0("i", name, items, "*") else ""
      lines <- c(lines, paste0("prqc", p, "_", items, " ~ ", int, "1"))
    }
    lines <- c(lines, paste0("prqc1_", items, " ~~ prqc2_", items))
  }
  lv <- c("sat1", "sat2", "com1", "com2")
  for (i in 1:3) for (j in (i + 1):4) lines <- c(lines, paste0(lv[i], " ~~ ", lv[j]))
  paste(lines, collapse = "\n")
}
cat("\nconfigural dyadic model:\n", dyad_model("configural"), "\n")
for (miss in c("listwise", "ml")) {
  tag <- if (miss == "ml") "dyad_fiml_" else "dyad_"
  dfits <- lapply(c("configural", "loading", "intercept"), function(level)
    cfa(dyad_model(level), data = prqc, estimator = "ML", missing = miss))
  keep(paste0(tag, "configural"), dfits[[1]])
  keep(paste0(tag, "metric"), dfits[[2]])
  keep(paste0(tag, "scalar"), dfits[[3]])
  tab <- lavTestLRT(dfits[[1]], dfits[[2]], dfits[[3]])
  print(tab)
  lrt[[tag]] <- data.frame(set = sub("_$", "", tag), level = c("configural", "metric", "scalar"),
                           chisq_diff = tab[["Chisq diff"]], df_diff = tab[["Df diff"]],
                           pvalue = tab[["Pr(>Chisq)"]])
}

cat("\n")
write_fixture(do.call(rbind, fits), "cfa_fit.csv")
write_fixture(do.call(rbind, params), "cfa_params.csv")
write_fixture(do.call(rbind, lrt), "cfa_lrt.csv")
cat("\n")
sessionInfo()
