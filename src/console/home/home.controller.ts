import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsolePage } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { homePage } from '../pages/home.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';

/** The console's home: the dashboard's place. */
@ApiExcludeController()
@Controller('console')
export class HomeController {
  @Get()
  @ConsolePage('operator', 'fund')
  home(@CurrentAgent() agent: ConsolePrincipal): SafeHtml {
    return homePage(agent);
  }
}
