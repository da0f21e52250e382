// The application's single HTTP client and token session.
import { Http } from './http'
import { TokenSession } from './session'

export const session = new TokenSession()
export const http = new Http(session)
