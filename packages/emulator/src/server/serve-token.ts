/**
 * The token flow shared by every dialect: throttle, validate, fault, delay, mint, answer.
 *
 * @module
 */
import { applyFault } from '../faults/apply-fault.js'
import type { FaultContext } from '../faults/apply-fault.js'
import type { FaultBoard } from '../faults/fault-board.js'
import { faultKind } from '../faults/fault-step.js'
import type { TokenSigner } from '../tokens/token-signer.js'
import type { Exchange } from './exchange.js'
import type { RealTimers } from './real-timers.js'
import type { RequestLog } from './request-log.js'
import type { TokenDialect, TokenGrant } from './token-dialect.js'

/** What the token flow uses from the emulator; internal. */
export interface TokenDeps {
  readonly signer: TokenSigner
  readonly faults: FaultBoard
  readonly timers: RealTimers
  readonly log: RequestLog
  readonly lifetimeS: number
}

function faultContext(exchange: Exchange, dialect: TokenDialect, grant: TokenGrant, deps: TokenDeps): FaultContext {
  return {
    exchange,
    resource: grant.resource,
    errorBody: (status) => dialect.errorBody(status),
    wait: (ms) => deps.timers.wait(ms),
    async tokenBody(options = {}) {
      const audience = dialect.echoesResource === false ? (options.echoResource ?? grant.resource) : grant.resource
      const minted = await deps.signer.mint(grant.identity, audience, options.lifetimeS ?? deps.lifetimeS)
      const body = dialect.successBody({
        minted,
        identity: grant.identity,
        resource: options.echoResource ?? grant.resource,
      })
      if (options.omitToken === true) {
        delete body['access_token']
      } else {
        deps.log.countMinted()
      }
      return body
    },
  }
}

/**
 * Answers one request to a dialect's token endpoint. Throttling runs first, then validation; a
 * fault step is taken only for a valid request. The added latency delays every answer.
 */
export async function serveToken(exchange: Exchange, dialect: TokenDialect, deps: TokenDeps): Promise<void> {
  const checked = dialect.admit?.(exchange) ?? dialect.check(exchange)
  // Only a dialect that reads a body (Entra) is awaited; the others take their step synchronously.
  const outcome = checked instanceof Promise ? await checked : checked
  // A client that left while its body was read takes no step: the step stays for the next request.
  const step = outcome.ok && !exchange.gone ? deps.faults.take(dialect.name) : undefined
  if (step !== undefined) exchange.log.fault(faultKind(step))
  exchange.log.dispatched()
  const latency = deps.faults.latency(dialect.name)
  if (latency > 0 && !(await deps.timers.wait(latency))) return
  if (exchange.gone) return
  if (!outcome.ok) {
    exchange.reply(outcome.status, outcome.body, outcome.headers)
    return
  }
  const context = faultContext(exchange, dialect, outcome, deps)
  if (step !== undefined) {
    await applyFault(step, context)
    return
  }
  exchange.reply(200, await context.tokenBody())
}
