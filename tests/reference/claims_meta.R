# Reference values for tests/test_claims.py: the meta-analytic line of the scorecard for two
# registry claims tested on two shared real data sets each, computed independently in R:
# Pearson r per data set, Fisher z (escalc "ZCOR"), metafor::rma(method = "REML").
#   cd tests/reference && R CMD BATCH --no-save --no-restore claims_meta.R
suppressMessages(library(metafor))
shared <- normalizePath("../../../shared/data")
out <- list()

# marriage_rating_affairs: r(marriage rating, affairs) in Fair's two surveys
pt <- read.csv(file.path(shared, "aer_affairs_pt", "data.csv"))
rb <- read.csv(file.path(shared, "fair_affairs_redbook", "data.csv"))
r <- c(cor(pt$rating, pt$affairs), cor(rb$rate_marriage, rb$affairs))
n <- c(nrow(pt), nrow(rb))
out[["marriage_rating_affairs"]] <- list(r = r, n = n)

# married_happier: r(married 0/1, happy 1 = not too .. 3 = very) in GSS 1972-2006 and panel wave 1
g1 <- read.csv(file.path(shared, "gss_happy_1972_2006", "data.csv"), na.strings = c("", "NA"))
g2 <- read.csv(file.path(shared, "gss_panel_2006_2014", "data.csv"), na.strings = c("", "NA"))
# the panel codebook declares wtpannr123 as its weight: rows without one are not in the (weighted) sample
# and are excluded at load (reason invalid_design), so the unweighted r uses the same rows
g2 <- g2[g2$wave == 1 & !is.na(g2$wtpannr123) & g2$wtpannr123 > 0, ]
code <- function(h) 4 - match(tolower(h), c("very happy", "pretty happy", "not too happy"))
pair <- function(d) {
  ok <- !is.na(d$marital) & !is.na(code(d$happy))
  c(cor(as.numeric(tolower(d$marital[ok]) == "married"), code(d$happy[ok])), sum(ok))
}
p1 <- pair(g1); p2 <- pair(g2)
out[["married_happier"]] <- list(r = c(p1[1], p2[1]), n = c(p1[2], p2[2]))

rows <- list()
for (claim in names(out)) {
  es <- escalc("ZCOR", ri = out[[claim]]$r, ni = out[[claim]]$n)
  fit <- rma(yi, vi, data = es, method = "REML", control = list(threshold = 1e-12))
  pr <- predict(fit)
  print(fit)
  rows[[claim]] <- data.frame(claim = claim, r1 = out[[claim]]$r[1], r2 = out[[claim]]$r[2],
                              n1 = out[[claim]]$n[1], n2 = out[[claim]]$n[2],
                              tau2 = fit$tau2, z = as.numeric(fit$beta), se = fit$se,
                              estimate = tanh(as.numeric(fit$beta)), ci_low = tanh(fit$ci.lb),
                              ci_high = tanh(fit$ci.ub), pi_low = tanh(pr$pi.lb), pi_high = tanh(pr$pi.ub),
                              i2 = fit$I2)
}
write.csv(do.call(rbind, rows), "claims_meta.csv", row.names = FALSE)
