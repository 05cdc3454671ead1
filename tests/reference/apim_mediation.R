# Reference values for tests/test_dyadic_mediation.py: APIM mediation (Ledermann, Macho & Kenny,
# 2011) of the Acitelli data as in Randi Garcia's dyadic workshop ("Day 2: Mediation in the APIM",
# RandiLGarcia/2day-dyad-workshop): X = other_pos, M = tension, Y = satisfaction. Two APIM
# equations fitted separately with nlme::gls (REML, corCompSymm within couples; varIdent by gender
# for distinguishable dyads, two-intercept parametrization):
#   mediator: tension_A      ~ other_pos_A + other_pos_P
#   outcome:  satisfaction_A ~ tension_A + tension_P + other_pos_A + other_pos_P
#
# Input : ../../../shared/data/acitelli_couples/data.csv (Acitelli, 1997; 148 couples, individual
#         layout, gender -1 wife, 1 husband; see its SOURCE.md). Not copied here.
# Data sets ("data" column):
#   acitelli     the 296 persons
#   incomplete   the same with four values set missing (satisfaction of the wife of couple 3 and of
#                the husband of couple 10, tension of the wife of couple 21, other_pos of the
#                husband of couple 44); both equations use the same rows: persons with their own
#                and their partner's X and M and their own Y (the Python policy): 290 rows, of
#                which 2 in one-member dyads
# Output (written here, in tests/reference):
#   apim_mediation_coefficients.csv  data, model, equation, term, estimate, se, statistic, df,
#                                    p_value (summary(gls)$tTable); term names are ours
#   apim_mediation_effects.csv       data, model, effect, role, estimate (the products and sums of
#                                    the gls coefficients), mc_se, mc_low, mc_high (Monte-Carlo:
#                                    1e6 draws of each equation's coefficients from
#                                    N(coef, vcov), independent between equations,
#                                    set.seed(20110), 95% percentile, quantile type 7), boot_se,
#                                    boot_low, boot_high (nonparametric bootstrap of couples,
#                                    both equations refitted on the same resample, R = 2000,
#                                    boot::boot, set.seed(20111), boot.ci type "perc"; NA for
#                                    the incomplete data)
#   apim_mediation_boot.csv          data, model, n_boot, n_failed (bootstrap refits that failed)
# Effects (role r = whose Y, o = the other role; a = mediator equation, b/c' = outcome equation):
#   actor-actor a_A(r) b_A(r); partner-partner a_P(o) b_P(r); actor-partner a_A(o) b_P(r);
#   partner-actor a_P(r) b_A(r); indirect actor = AA + PP; indirect partner = AP + PA;
#   direct actor c'_A(r), direct partner c'_P(r); total = direct + indirect.
#   Indistinguishable: one role "both" (r = o).
# Run: cd tests/reference && R CMD BATCH --no-save --no-restore apim_mediation.R   (about 10 min: the bootstrap refits)

suppressPackageStartupMessages(library(nlme))
suppressPackageStartupMessages(library(MASS))
suppressPackageStartupMessages(library(boot))
cat(R.version.string, "\n")
cat("nlme", as.character(packageVersion("nlme")), "\n\n")

write_fixture <- function(df, name) {
  num <- vapply(df, is.double, logical(1))
  df[num] <- lapply(df[num], function(v) ifelse(is.na(v), NA, sprintf("%.17g", v)))
  write.csv(df, name, row.names = FALSE, na = "", quote = FALSE)
}

ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-12, maxIter = 500, msMaxIter = 500)
ind <- read.csv(file.path("..", "..", "..", "shared", "data", "acitelli_couples", "data.csv"))

pairwise <- function(ind) {
  vars <- c("other_pos", "tension", "satisfaction")
  a <- ind[, c("cuplid", "gender", vars)]
  p <- ind[, c("cuplid", "gender", vars)]
  names(a)[3:5] <- paste0(vars, "_A")
  names(p)[3:5] <- paste0(vars, "_P")
  p$gender <- -p$gender
  d <- merge(a, p, by = c("cuplid", "gender"), all.x = TRUE, sort = FALSE)
  d <- d[order(d$cuplid, d$gender), ]
  d$role <- factor(ifelse(d$gender == -1, "-1", "1"), levels = c("-1", "1"))
  keep <- complete.cases(d[, c("other_pos_A", "other_pos_P", "tension_A", "tension_P", "satisfaction_A")])
  d[keep, ]
}

med_dist <- tension_A ~ role + other_pos_A:role + other_pos_P:role - 1
out_dist <- satisfaction_A ~ role + tension_A:role + tension_P:role + other_pos_A:role + other_pos_P:role - 1
med_ind <- tension_A ~ other_pos_A + other_pos_P
out_ind <- satisfaction_A ~ tension_A + tension_P + other_pos_A + other_pos_P

fit_pair <- function(d, model) {
  if (model == "distinguishable") {
    m <- gls(med_dist, data = d, correlation = corCompSymm(form = ~1 | cuplid),
             weights = varIdent(form = ~1 | role), control = ctrl)
    y <- gls(out_dist, data = d, correlation = corCompSymm(form = ~1 | cuplid),
             weights = varIdent(form = ~1 | role), control = ctrl)
  } else {
    m <- gls(med_ind, data = d, correlation = corCompSymm(form = ~1 | cuplid), control = ctrl)
    y <- gls(out_ind, data = d, correlation = corCompSymm(form = ~1 | cuplid), control = ctrl)
  }
  list(m = m, y = y)
}

# our term names: "x_A (-1)" for role -1 (distinguishable); "x_A" (indistinguishable)
our_terms <- function(nm) {
  nm <- sub("^role(-?1)$", "Intercept (\\1)", nm)
  nm <- sub("^role(-?1):(.*)$", "\\2 (\\1)", nm)
  sub("^\\(Intercept\\)$", "Intercept", nm)
}

# effects from coefficient vectors (matrices: one row per draw) a (mediator eq.) and b (outcome eq.)
effects <- function(a, b, model) {
  a <- rbind(a); b <- rbind(b)
  roles <- if (model == "distinguishable") c("-1", "1") else "both"
  out <- list()
  for (r in roles) {
    o <- if (model == "distinguishable") setdiff(roles, r) else r
    s <- function(v, role) if (model == "distinguishable") paste0(v, " (", role, ")") else v
    aA_r <- a[, s("other_pos_A", r)]; aP_r <- a[, s("other_pos_P", r)]
    aA_o <- a[, s("other_pos_A", o)]; aP_o <- a[, s("other_pos_P", o)]
    bA <- b[, s("tension_A", r)]; bP <- b[, s("tension_P", r)]
    cA <- b[, s("other_pos_A", r)]; cP <- b[, s("other_pos_P", r)]
    e <- cbind(`actor-actor` = aA_r * bA, `partner-partner` = aP_o * bP,
               `actor-partner` = aA_o * bP, `partner-actor` = aP_r * bA)
    e <- cbind(e, `indirect actor` = e[, 1] + e[, 2], `indirect partner` = e[, 3] + e[, 4],
               `direct actor` = cA, `direct partner` = cP)
    e <- cbind(e, `total actor` = e[, 5] + e[, 7], `total partner` = e[, 6] + e[, 8])
    colnames(e) <- paste(colnames(e), r, sep = "|")
    out[[r]] <- e
  }
  do.call(cbind, out)
}

named_coef <- function(fit) { v <- coef(fit); names(v) <- our_terms(names(v)); v }
named_vcov <- function(fit) { v <- vcov(fit); dimnames(v) <- list(our_terms(rownames(v)), our_terms(colnames(v))); v }

ind_na <- ind
set_na <- function(d, cuplid, gender, var) {
  hit <- d$cuplid == cuplid & d$gender == gender
  stopifnot(sum(hit) == 1)
  d[hit, var] <- NA
  d
}
ind_na <- set_na(ind_na, 3, -1, "satisfaction")
ind_na <- set_na(ind_na, 10, 1, "satisfaction")
ind_na <- set_na(ind_na, 21, -1, "tension")
ind_na <- set_na(ind_na, 44, 1, "other_pos")

coefs <- list(); effs <- list(); boots <- list()
for (dname in c("acitelli", "incomplete")) {
  d <- pairwise(if (dname == "acitelli") ind else ind_na)
  cat(dname, ": ", nrow(d), " rows\n", sep = "")
  for (model in c("distinguishable", "indistinguishable")) {
    f <- fit_pair(d, model)
    for (eq in c("m", "y")) {
      tt <- summary(f[[eq]])$tTable
      coefs[[length(coefs) + 1]] <- data.frame(
        data = dname, model = model, equation = c(m = "mediator", y = "outcome")[[eq]],
        term = our_terms(rownames(tt)), estimate = tt[, 1], se = tt[, 2], statistic = tt[, 3],
        df = nrow(d) - nrow(tt), p_value = tt[, 4])
    }
    print(summary(f$m)$tTable); print(summary(f$y)$tTable)
    a <- named_coef(f$m); b <- named_coef(f$y)
    est <- effects(a, b, model)[1, ]
    set.seed(20110)
    nd <- 1e6
    da <- mvrnorm(nd, a, named_vcov(f$m)); colnames(da) <- names(a)
    db <- mvrnorm(nd, b, named_vcov(f$y)); colnames(db) <- names(b)
    mc <- effects(da, db, model)
    rm(da, db)
    res <- data.frame(data = dname, model = model,
                      effect = sub("\\|.*$", "", names(est)), role = sub("^.*\\|", "", names(est)),
                      estimate = unname(est), mc_se = apply(mc, 2, sd),
                      mc_low = apply(mc, 2, quantile, 0.025), mc_high = apply(mc, 2, quantile, 0.975),
                      boot_se = NA_real_, boot_low = NA_real_, boot_high = NA_real_)
    rm(mc)
    if (dname == "acitelli") {
      couples <- unique(d$cuplid)
      rows_of <- split(seq_len(nrow(d)), factor(d$cuplid, levels = couples))
      stat <- function(cpl, idx) {  # a drawn couple is a new couple each time it is drawn
        rows <- rows_of[idx]
        bd <- d[unlist(rows), ]
        bd$cuplid <- rep(seq_along(idx), lengths(rows))
        r <- tryCatch({ g <- fit_pair(bd, model); effects(named_coef(g$m), named_coef(g$y), model)[1, ] },
                      error = function(e) rep(NA_real_, length(est)))
        r
      }
      set.seed(20111)
      bt <- boot(couples, stat, R = 2000)
      ok <- complete.cases(bt$t)
      boots[[length(boots) + 1]] <- data.frame(data = dname, model = model, n_boot = 2000,
                                               n_failed = sum(!ok))
      for (j in seq_along(est)) {
        ci <- boot.ci(bt, type = "perc", index = j)$percent[4:5]
        res$boot_se[j] <- sd(bt$t[ok, j]); res$boot_low[j] <- ci[1]; res$boot_high[j] <- ci[2]
      }
    }
    print(res)
    effs[[length(effs) + 1]] <- res
  }
}
write_fixture(do.call(rbind, coefs), "apim_mediation_coefficients.csv")
write_fixture(do.call(rbind, effs), "apim_mediation_effects.csv")
write_fixture(do.call(rbind, boots), "apim_mediation_boot.csv")
